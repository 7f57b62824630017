"""SPDX 2.3 JSON documents (2.2 read the same way with a warning); packages become assets.

Why not spdx-tools: measured on a 5,000-package document (bench/bench_sbom_import.py),
`parse_file` takes about 1.0 s and `validate_full_spdx_document` about 56 s, against well under
0.1 s for orjson plus the checks below; and its parser rejects a whole document over one
supplier written `Acme Corp` instead of `Organization: Acme Corp`, with messages naming Python
types rather than the package. The document is therefore read with orjson and checked here.

Mapping to AssetRecord:

* id: `SPDXID`; name and product: `name`; version: `versionInfo`.
* vendor: `supplier`, else `originator` (`Organization: Acme (x@y)` -> `Acme`; `NOASSERTION`
  is no vendor). Lenient: a value without the `Organization:`/`Person:` prefix is taken whole.
* `externalRefs`: `cpe23Type` and `cpe22Type` -> cpes, `purl` -> purls (any category spelling,
  `PACKAGE-MANAGER` or `PACKAGE_MANAGER`). Invalid ones are dropped with a warning.
* kind from `primaryPackagePurpose`: APPLICATION, CONTAINER, INSTALL -> application; LIBRARY,
  FRAMEWORK -> library; OPERATING-SYSTEM -> os; FIRMWARE -> firmware; DEVICE -> hardware;
  anything else or absent -> other. `root_kind=` sets the kind of the described package(s).
* parent, from `relationships`: `A CONTAINS B` / `B CONTAINED_BY A` make A the parent of B, and
  win over `A DEPENDS_ON B` / `B DEPENDENCY_OF A`; the first relationship of the best kind wins.
  `SPDXRef-DOCUMENT DESCRIBES P` (or `documentDescribes`) makes P a root; when exactly one
  package is described, packages left without a parent get it as parent (as CycloneDX top-level
  components get metadata.component). Dependency graphs may loop: a link closing a cycle is
  dropped with a warning. Files, snippets and other documents' elements are not assets.
* criticality, exposure, location: SPDX has no place for them; the caller's `defaults` (the
  upload form's care unit, criticality and exposure for the whole SBOM) give every package's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vigie.engines.inventory.common import (
    ASSET_KINDS,
    AssetDefaults,
    InventoryLimits,
    InventoryResult,
    LineLocator,
    Problems,
    apply_defaults,
    check_defaults,
    control_characters,
    cpe_problem,
    display_name,
    find_parent_cycles,
    load_json,
    purl_problem,
    single_line,
)
from vigie.engines.records import AssetRecord

KIND_BY_PURPOSE: dict[str, str] = {
    "APPLICATION": "application",
    "CONTAINER": "application",
    "INSTALL": "application",
    "LIBRARY": "library",
    "FRAMEWORK": "library",
    "OPERATING-SYSTEM": "os",
    "FIRMWARE": "firmware",
    "DEVICE": "hardware",
}
SUPPORTED_VERSIONS = ("SPDX-2.3",)
OLDER_VERSIONS = ("SPDX-2.2", "SPDX-2.1")
DOCUMENT_ID = "SPDXRef-DOCUMENT"
# relationship type -> (rank, parent is the element (True) or the related element (False))
_PARENT_LINKS: dict[str, tuple[int, bool]] = {
    "CONTAINS": (0, True),
    "CONTAINED_BY": (0, False),
    "DEPENDS_ON": (1, True),
    "DEPENDENCY_OF": (1, False),
}
_CPE_TYPES = frozenset({"cpe23type", "cpe22type"})
_ACTOR_PREFIXES = ("organization:", "person:", "tool:")
_NO_VALUE = frozenset({"", "noassertion", "none"})


@dataclass(slots=True)
class _Package:
    id: str
    pointer: str
    name: str
    vendor: str
    version: str
    kind: str
    cpes: tuple[str, ...]
    purls: tuple[str, ...]


class _SpdxReader:
    def __init__(
        self,
        problems: Problems,
        limits: InventoryLimits,
        raw: bytes,
        root_kind: str | None,
        defaults: AssetDefaults | None,
    ) -> None:
        self.problems = problems
        self.limits = limits
        self.lines = LineLocator(raw)
        self.root_kind = root_kind
        self.defaults = defaults
        self.packages: dict[str, _Package] = {}

    def error(
        self,
        code: str,
        pointer: str,
        record: str | None,
        value: str | None = None,
        **params: object,
    ) -> None:
        if value is not None:
            params["value"] = value
        # Past the listing cap the error is only counted: no need to search for its line.
        line = None if self.problems.full else self.lines.line(record, value)
        self.problems.error(code, line=line, field=pointer, record=record, **params)

    def warn(
        self,
        code: str,
        pointer: str,
        record: str | None,
        value: str | None = None,
        **params: object,
    ) -> None:
        if value is not None:
            params["value"] = value
        if len(self.problems.warnings) < self.problems.max_errors:
            line = self.lines.line(record, value)
            self.problems.warn(code, line=line, field=pointer, record=record, **params)

    def text(self, holder: dict[str, object], key: str, pointer: str, record: str | None) -> str:
        value = holder.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.warn("not_string", pointer, record, found=type(value).__name__)
            return ""
        value = single_line(value.strip())
        if len(value) > self.limits.max_field_chars:
            self.error(
                "too_long",
                f"{pointer}/{key}",
                record,
                length=len(value),
                limit=self.limits.max_field_chars,
            )
            return ""
        if control_characters(value):
            self.error("control_characters", f"{pointer}/{key}", record)
            return ""
        return value

    def actor(self, package: dict[str, object], key: str, pointer: str, record: str) -> str:
        value = self.text(package, key, pointer, record)
        if value.lower() in _NO_VALUE:
            return ""
        lowered = value.lower()
        for prefix in _ACTOR_PREFIXES:
            if lowered.startswith(prefix):
                value = value[len(prefix) :].strip()
                break
        # `Acme (contact@acme.example)`: the contact is not part of the name.
        if value.endswith(")") and "(" in value:
            value = value[: value.rindex("(")].strip()
        return value

    def external_refs(
        self, package: dict[str, object], pointer: str, record: str
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        cpes: list[str] = []
        purls: list[str] = []
        refs = package.get("externalRefs")
        if not isinstance(refs, list):
            return (), ()
        for index, ref in enumerate(refs):
            if not isinstance(ref, dict):
                continue
            where = f"{pointer}/externalRefs/{index}"
            ref_type = ref.get("referenceType")
            if not isinstance(ref_type, str):
                continue
            ref_type = ref_type.lower()
            if ref_type not in _CPE_TYPES and ref_type != "purl":
                continue
            locator = self.text(ref, "referenceLocator", where, record)
            if not locator:
                continue
            problem = purl_problem(locator) if ref_type == "purl" else cpe_problem(locator)
            if problem is not None:
                reason, params = problem
                self.warn(
                    "identifier_ignored",
                    f"{where}/referenceLocator",
                    record,
                    locator,
                    reason=reason,
                    **params,
                )
            elif ref_type == "purl":
                purls.append(locator)
            else:
                cpes.append(locator)
        return tuple(cpes), tuple(purls)

    def read_package(self, package: object, pointer: str) -> None:
        if not isinstance(package, dict):
            self.error("package_not_object", pointer, None)
            return
        record = self.text(package, "SPDXID", pointer, None)
        if not record:
            self.error("spdxid_required", f"{pointer}/SPDXID", None)
            return
        if record in self.packages:
            self.error(
                "spdxid_duplicate",
                f"{pointer}/SPDXID",
                record,
                value=record,
                first_at=self.packages[record].pointer,
            )
            return
        name = self.text(package, "name", pointer, record)
        if not name:
            self.error("package_name_required", f"{pointer}/name", record)
            return
        purpose = package.get("primaryPackagePurpose")
        kind = (
            KIND_BY_PURPOSE.get(purpose.upper(), "other") if isinstance(purpose, str) else "other"
        )
        cpes, purls = self.external_refs(package, pointer, record)
        self.packages[record] = _Package(
            id=record,
            pointer=pointer,
            name=name,
            vendor=self.actor(package, "supplier", pointer, record)
            or self.actor(package, "originator", pointer, record),
            version=self.text(package, "versionInfo", pointer, record),
            kind=kind,
            cpes=cpes,
            purls=purls,
        )

    def parents(self, document: dict[str, object]) -> tuple[dict[str, str | None], list[str]]:
        best: dict[str, tuple[int, str]] = {}
        described: list[str] = []
        declared = document.get("documentDescribes")
        if isinstance(declared, list):
            described += [d for d in declared if isinstance(d, str) and d in self.packages]
        relationships = document.get("relationships")
        if relationships is not None and not isinstance(relationships, list):
            self.error("not_list", "/relationships", None, what="relationships")
            relationships = []
        for item in relationships or []:
            if not isinstance(item, dict):
                continue
            element = item.get("spdxElementId")
            related = item.get("relatedSpdxElement")
            kind = item.get("relationshipType")
            if not (
                isinstance(element, str) and isinstance(related, str) and isinstance(kind, str)
            ):
                continue
            kind = kind.upper()
            if kind == "DESCRIBES" and element == DOCUMENT_ID and related in self.packages:
                described.append(related)
                continue
            if kind == "DESCRIBED_BY" and related == DOCUMENT_ID and element in self.packages:
                described.append(element)
                continue
            link = _PARENT_LINKS.get(kind)
            if link is None:
                continue
            rank, element_is_parent = link
            parent, child = (element, related) if element_is_parent else (related, element)
            if parent not in self.packages or child not in self.packages or parent == child:
                continue
            if child not in best or rank < best[child][0]:
                best[child] = (rank, parent)
        roots = list(dict.fromkeys(described))
        parents: dict[str, str | None] = dict.fromkeys(self.packages)
        for child, (_, parent) in best.items():
            if child not in roots:
                parents[child] = parent
        for cycle in find_parent_cycles(parents):
            closing = cycle[-1]
            self.warn(
                "relationship_cycle",
                "/relationships",
                closing,
                chain=" -> ".join(cycle),
                closing=closing,
            )
            parents[closing] = None
        if len(roots) == 1:
            orphans = [pid for pid, up in parents.items() if up is None and pid != roots[0]]
            for pid in orphans:
                parents[pid] = roots[0]
        return parents, roots

    def read(self, document: object) -> list[AssetRecord]:
        if not isinstance(document, dict):
            self.error("spdx_not_object", "", None)
            return []
        version = document.get("spdxVersion")
        if version in OLDER_VERSIONS:
            self.warn("spdx_old", "/spdxVersion", None, version=version)
        elif version not in SUPPORTED_VERSIONS:
            self.error("spdx_unsupported", "/spdxVersion", None, version=version)
            return []
        packages = document.get("packages")
        if packages is not None and not isinstance(packages, list):
            self.error("not_list", "/packages", None, what="packages")
            return []
        for index, package in enumerate(packages or []):
            if len(self.packages) >= self.limits.max_rows:
                self.error("too_many_packages", "/packages", None, limit=self.limits.max_rows)
                break
            self.read_package(package, f"/packages/{index}")
        if not self.packages and not self.problems.errors:
            self.error("no_packages", "/packages", None)
            return []
        parents, roots = self.parents(document)
        return [
            apply_defaults(
                AssetRecord(
                    id=p.id,
                    name=p.name,
                    kind=self.root_kind if self.root_kind and p.id in roots else p.kind,
                    vendor=p.vendor,
                    product=p.name,
                    version=p.version,
                    cpes=p.cpes,
                    purls=p.purls,
                    parent=parents[p.id],
                ),
                self.defaults,
            )
            for p in self.packages.values()
        ]


def read_spdx_document(
    document: object,
    raw: bytes,
    file: str,
    *,
    limits: InventoryLimits | None = None,
    root_kind: str | None = None,
    defaults: AssetDefaults | None = None,
) -> InventoryResult:
    """Read an already-parsed SPDX 2.3 JSON document (`raw` serves only to find error lines)."""
    limits = limits or InventoryLimits()
    problems = Problems(file, limits.max_errors)
    if root_kind is not None and root_kind not in ASSET_KINDS:
        problems.error("root_kind_unknown", value=root_kind, allowed=", ".join(ASSET_KINDS))
        return problems.result([])
    if defaults is not None and not check_defaults(defaults, problems, limits):
        return problems.result([])
    reader = _SpdxReader(problems, limits, raw, root_kind, defaults)
    assets = reader.read(document)
    return problems.result(assets)


def read_spdx(
    path: str | Path,
    *,
    name: str | None = None,
    limits: InventoryLimits | None = None,
    root_kind: str | None = None,
    defaults: AssetDefaults | None = None,
) -> InventoryResult:
    """Read an SPDX 2.3 JSON file. `root_kind` sets the kind of the described package(s)."""
    limits = limits or InventoryLimits()
    path = Path(path)
    file = display_name(path, name)
    problems = Problems(file, limits.max_errors)
    document, raw = load_json(path, problems, limits)
    if document is None:
        return problems.result([])
    return read_spdx_document(
        document, raw, file, limits=limits, root_kind=root_kind, defaults=defaults
    )

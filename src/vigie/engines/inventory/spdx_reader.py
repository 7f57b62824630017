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
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vigie.engines.inventory.common import (
    ASSET_KINDS,
    InventoryLimits,
    InventoryResult,
    LineLocator,
    Problems,
    check_cpe,
    check_purl,
    control_characters,
    display_name,
    find_parent_cycles,
    load_json,
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
        self, problems: Problems, limits: InventoryLimits, raw: bytes, root_kind: str | None
    ) -> None:
        self.problems = problems
        self.limits = limits
        self.lines = LineLocator(raw)
        self.root_kind = root_kind
        self.packages: dict[str, _Package] = {}

    def error(
        self, message: str, pointer: str, record: str | None, value: str | None = None
    ) -> None:
        if not self.problems.full:
            self.problems.error(
                message, line=self.lines.line(record, value), field=pointer, record=record
            )

    def warn(
        self, message: str, pointer: str, record: str | None, value: str | None = None
    ) -> None:
        if len(self.problems.warnings) < self.problems.max_errors:
            self.problems.warn(
                message, line=self.lines.line(record, value), field=pointer, record=record
            )

    def text(self, holder: dict[str, object], key: str, pointer: str, record: str | None) -> str:
        value = holder.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.warn(f"expected a string, found {type(value).__name__}; ignored", pointer, record)
            return ""
        value = single_line(value.strip())
        if len(value) > self.limits.max_field_chars:
            self.error(
                f"{len(value)} characters long; the limit is {self.limits.max_field_chars}",
                f"{pointer}/{key}",
                record,
            )
            return ""
        if control_characters(value):
            self.error(
                "contains control characters or bidirectional overrides", f"{pointer}/{key}", record
            )
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
            reason = check_purl(locator) if ref_type == "purl" else check_cpe(locator)
            if reason is not None:
                self.warn(
                    f"{locator!r} ignored: {reason}", f"{where}/referenceLocator", record, locator
                )
            elif ref_type == "purl":
                purls.append(locator)
            else:
                cpes.append(locator)
        return tuple(cpes), tuple(purls)

    def read_package(self, package: object, pointer: str) -> None:
        if not isinstance(package, dict):
            self.error("a package must be a JSON object", pointer, None)
            return
        record = self.text(package, "SPDXID", pointer, None)
        if not record:
            self.error("a package needs an SPDXID", f"{pointer}/SPDXID", None)
            return
        if record in self.packages:
            self.error(
                f"SPDXID {record!r} is already used at {self.packages[record].pointer}",
                f"{pointer}/SPDXID",
                record,
            )
            return
        name = self.text(package, "name", pointer, record)
        if not name:
            self.error("a package needs a name", f"{pointer}/name", record)
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
            self.error("relationships must be a list", "/relationships", None)
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
                f"relationships form a cycle ({' -> '.join(cycle)}); parent of {closing} dropped",
                "/relationships",
                closing,
            )
            parents[closing] = None
        if len(roots) == 1:
            orphans = [pid for pid, up in parents.items() if up is None and pid != roots[0]]
            for pid in orphans:
                parents[pid] = roots[0]
        return parents, roots

    def read(self, document: object) -> list[AssetRecord]:
        if not isinstance(document, dict):
            self.error("an SPDX document is a JSON object", "", None)
            return []
        version = document.get("spdxVersion")
        if version in OLDER_VERSIONS:
            self.warn(f"{version} is older than SPDX-2.3; read as 2.3", "/spdxVersion", None)
        elif version not in SUPPORTED_VERSIONS:
            self.error(
                f"spdxVersion {version!r} is not supported; expected SPDX-2.3", "/spdxVersion", None
            )
            return []
        packages = document.get("packages")
        if packages is not None and not isinstance(packages, list):
            self.error("packages must be a list", "/packages", None)
            return []
        for index, package in enumerate(packages or []):
            if len(self.packages) >= self.limits.max_rows:
                self.error(
                    f"more than {self.limits.max_rows} packages, the limit", "/packages", None
                )
                break
            self.read_package(package, f"/packages/{index}")
            if self.problems.full:
                return []
        if not self.packages and not self.problems.errors:
            self.error("no packages: an SPDX inventory lists its packages", "/packages", None)
            return []
        parents, roots = self.parents(document)
        return [
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
) -> InventoryResult:
    """Read an already-parsed SPDX 2.3 JSON document (`raw` serves only to find error lines)."""
    limits = limits or InventoryLimits()
    problems = Problems(file, limits.max_errors)
    if root_kind is not None and root_kind not in ASSET_KINDS:
        problems.error(f"root kind {root_kind!r} unknown; allowed: {', '.join(ASSET_KINDS)}")
        return InventoryResult([], problems.errors, problems.warnings)
    reader = _SpdxReader(problems, limits, raw, root_kind)
    assets = reader.read(document)
    return InventoryResult(assets, problems.errors, problems.warnings)


def read_spdx(
    path: str | Path,
    *,
    name: str | None = None,
    limits: InventoryLimits | None = None,
    root_kind: str | None = None,
) -> InventoryResult:
    """Read an SPDX 2.3 JSON file. `root_kind` sets the kind of the described package(s)."""
    limits = limits or InventoryLimits()
    path = Path(path)
    file = display_name(path, name)
    problems = Problems(file, limits.max_errors)
    document, raw = load_json(path, problems, limits)
    if document is None:
        return InventoryResult([], problems.errors, problems.warnings)
    return read_spdx_document(document, raw, file, limits=limits, root_kind=root_kind)

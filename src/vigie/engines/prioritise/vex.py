"""Apply VEX statements to matches: close what a supplier says does not affect an asset.

A `not_affected` or `fixed` statement for (vulnerability, product) suppresses the matches of
that vulnerability on the assets the product designates; `affected` and `under_investigation`
never suppress, and an `affected` statement that designates the same asset overrules a
suppressing one (the match stays, reported as contested). How a product designates an asset:

- bom-ref: the asset's id, or a CycloneDX BOM-Link `urn:cdx:<serial>/<version>#<bom-ref>`
  whose fragment is the asset's id (the serial is not checked: assets do not carry it);
- purl: same type, namespace and name as one of the asset's purls; a purl without version
  covers every version, one with a version only that version; qualifiers present on both
  sides must agree;
- CPE (2.3 formatted string or 2.2 URI): every attribute of the statement's CPE is ANY (`*`)
  or equal, case-insensitively, to the same attribute of one of the asset's CPEs - so a CPE
  with version `*` covers all versions of the product;
- `vendor|product|version`: normalised names equal (an empty vendor matches any vendor; the
  product part may also be the asset's bom-ref), and the version empty or `*` (all versions),
  equal, or a `vers:` range containing the asset's version.

A statement on a product also covers the product's parts: the assets below it through
`parent`, unless the designated asset is a host (server, workstation, os, other) whose
children were installed separately. docs/notes/ssvc.md explains each rule.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from packageurl import PackageURL
from univers.version_range import VersionRange

from vigie.engines.records import AssetRecord, Match, VexStatement

SUPPRESSING_STATUSES: tuple[str, ...] = ("not_affected", "fixed")
STATUSES: tuple[str, ...] = ("not_affected", "fixed", "affected", "under_investigation")
# CycloneDX `analysis.state` and CSAF `product_status` spellings, for lenient callers.
_STATUS_ALIASES: Mapping[str, str] = {
    "resolved": "fixed",
    "resolved_with_pedigree": "fixed",
    "false_positive": "not_affected",
    "exploitable": "affected",
    "in_triage": "under_investigation",
    "known_affected": "affected",
    "known_not_affected": "not_affected",
    "first_fixed": "fixed",
}
# Kinds whose children were installed on them rather than shipped with them: a statement on a
# host says nothing about the software a hospital added to it.
HOST_KINDS: frozenset[str] = frozenset({"server", "workstation", "os", "other"})
_MAX_DEPTH = 32  # parent chains longer than this are cut (and cycles with them)


@dataclass(frozen=True, slots=True)
class Suppression:
    """A match a VEX statement closes, or would close (`overruled_by` set: it stays open)."""

    match: Match
    statement: VexStatement
    via: str  # "bom-ref", "purl", "cpe" or "name"
    designated: str  # the asset id the statement designates: the match's asset or an ancestor
    overruled_by: VexStatement | None = None

    @property
    def reason(self) -> tuple[str, dict[str, Any]]:
        params: dict[str, Any] = {
            "status": normalise_status(self.statement.status),
            "justification": self.statement.justification,
            "source": self.statement.source,
            "product": self.statement.product,
            "via": self.via,
            "asset": self.match.asset,
            "designated": self.designated,
        }
        if self.overruled_by is None:
            return "vex.closed", params
        params["overruled_by_source"] = self.overruled_by.source
        params["overruled_by_product"] = self.overruled_by.product
        return "vex.contested", params

    @property
    def explanation(self) -> str:
        code, params = self.reason
        return render_reason(code, params)


@dataclass(slots=True)
class VexResult:
    kept: list[Match] = field(default_factory=list)
    suppressed: list[Suppression] = field(default_factory=list)
    # Kept matches that a suppressing statement names but an `affected` statement overrules.
    contested: list[Suppression] = field(default_factory=list)
    # Statements that designate nothing: (statement, why), e.g. an unparsable purl.
    unusable: list[tuple[VexStatement, str]] = field(default_factory=list)


def normalise_status(status: str) -> str:
    normal = status.strip().lower().replace("-", "_").replace(" ", "_")
    return _STATUS_ALIASES.get(normal, normal)


def apply_vex(
    matches: Iterable[Match], statements: Iterable[VexStatement], assets: Iterable[AssetRecord]
) -> VexResult:
    """Split `matches` into kept and suppressed according to `statements` on `assets`."""
    result = VexResult()
    by_id = {asset.id: asset for asset in assets}
    by_vuln: dict[str, list[_Target]] = {}
    for statement in statements:
        target = _compile(statement)
        if isinstance(target, str):
            result.unusable.append((statement, target))
            continue
        by_vuln.setdefault(statement.vulnerability.strip().upper(), []).append(target)

    chains: dict[str, tuple[_AssetKeys, ...]] = {}  # asset id -> what statements may designate
    keys: dict[str, _AssetKeys] = {}  # each asset's identifiers, parsed once
    for match in matches:
        targets = by_vuln.get(match.vulnerability.strip().upper())
        asset = by_id.get(match.asset)
        if not targets or asset is None:
            result.kept.append(match)
            continue
        chain = chains.get(asset.id)
        if chain is None:
            chain = chains[asset.id] = _chain(asset, by_id, keys)
        closing: Suppression | None = None
        overruling: VexStatement | None = None
        for target in targets:
            for candidate in chain:
                via = target.designates(candidate)
                if via is None:
                    continue
                if target.status in SUPPRESSING_STATUSES:
                    if closing is None:
                        closing = Suppression(match, target.statement, via, candidate.id)
                elif target.status == "affected" and overruling is None:
                    overruling = target.statement
                break
        if closing is None:
            result.kept.append(match)
        elif overruling is not None:
            result.kept.append(match)
            result.contested.append(
                Suppression(match, closing.statement, closing.via, closing.designated, overruling)
            )
        else:
            result.suppressed.append(closing)
    return result


def _chain(
    asset: AssetRecord, by_id: Mapping[str, AssetRecord], keys: dict[str, _AssetKeys]
) -> tuple[_AssetKeys, ...]:
    """The asset, then the ancestors whose statements reach it (hosts excluded), nearest first.

    Walks `parent` links; stops on cycles and after _MAX_DEPTH levels.
    """
    chain: list[_AssetKeys] = []
    seen: set[str] = set()
    current: AssetRecord | None = asset
    while current is not None and current.id not in seen and len(seen) <= _MAX_DEPTH:
        if not seen or current.kind not in HOST_KINDS:
            if current.id not in keys:
                keys[current.id] = _AssetKeys.of(current)
            chain.append(keys[current.id])
        seen.add(current.id)
        current = by_id.get(current.parent) if current.parent else None
    return tuple(chain)


# --- what a statement's product designates ------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Target:
    statement: VexStatement
    status: str
    kind: str  # "bom-ref", "purl", "cpe", "name"
    ref: str = ""
    purl: PackageURL | None = None
    cpe: tuple[str, ...] = ()
    vendor: str = ""
    product: str = ""
    version: str = ""  # normalised exact version, "" for all versions
    versions: VersionRange | None = None
    # univers declares `VersionRange.version_class` as None; keep the real class typed here.
    version_class: Callable[[str], Any] | None = None

    def designates(self, asset: _AssetKeys) -> str | None:
        """How this statement designates the asset ("bom-ref", "purl"...), or None."""
        if self.kind == "bom-ref":
            return "bom-ref" if self.ref == asset.id else None
        if self.kind == "purl":
            return "purl" if any(_purl_covers(self.purl, p) for p in asset.purls) else None
        if self.kind == "cpe":
            return "cpe" if any(_cpe_covers(self.cpe, c) for c in asset.cpes) else None
        return self._designates_by_name(asset)

    def _designates_by_name(self, asset: _AssetKeys) -> str | None:
        if self.ref and self.ref == asset.id:
            via = "bom-ref"
        elif self.product and self.product in asset.names:
            if self.vendor and self.vendor != asset.vendor:
                return None
            via = "name"
        else:
            return None
        if self.versions is not None:
            if self.version_class is None:
                return None
            try:
                inside = self.version_class(asset.raw_version) in self.versions
            except ValueError:  # univers' InvalidVersion: not comparable in that scheme
                return None
            return via if inside else None
        if self.version and self.version != asset.version:
            return None
        return via


@dataclass(frozen=True, slots=True)
class _AssetKeys:
    """An asset's identifiers in the form statements compare them."""

    id: str
    purls: tuple[PackageURL, ...]
    cpes: tuple[tuple[str, ...], ...]
    vendor: str
    names: tuple[str, ...]  # normalised product and display name
    version: str  # normalised
    raw_version: str

    @classmethod
    def of(cls, asset: AssetRecord) -> _AssetKeys:
        purls = []
        for text in asset.purls:
            try:
                purls.append(PackageURL.from_string(text))
            except ValueError:  # the inventory parser reports bad purls; here they match nothing
                continue
        cpes = [attributes for text in asset.cpes if (attributes := _cpe_attributes(text))]
        return cls(
            id=asset.id,
            purls=tuple(purls),
            cpes=tuple(cpes),
            vendor=_name(asset.vendor),
            names=tuple(name for name in (_name(asset.product), _name(asset.name)) if name),
            version=_version(asset.version),
            raw_version=asset.version.strip(),
        )


def _compile(statement: VexStatement) -> _Target | str:
    """The statement ready to test assets, or why it cannot designate anything."""
    status = normalise_status(statement.status)
    if status not in STATUSES:
        return f"unknown VEX status {statement.status!r}"
    product = statement.product.strip()
    if not product:
        return "empty product"
    if product.startswith("pkg:"):
        try:
            purl = PackageURL.from_string(product)
        except ValueError as error:
            return f"invalid purl: {error}"
        return _Target(statement, status, "purl", purl=purl)
    if product.lower().startswith("cpe:"):
        cpe = _cpe_attributes(product)
        if cpe is None:
            return f"invalid CPE {product!r}"
        return _Target(statement, status, "cpe", cpe=cpe)
    if "|" in product and not product.startswith("urn:cdx:"):
        return _compile_triple(statement, status, product)
    return _Target(statement, status, "bom-ref", ref=_bom_ref(product))


def _compile_triple(statement: VexStatement, status: str, product: str) -> _Target | str:
    parts = product.split("|", 2)  # a `vers:` range keeps its own `|` in the third part
    if len(parts) != 3:
        return f"expected vendor|product|version, got {product!r}"
    vendor, name, version = (part.strip() for part in parts)
    if not name:
        return f"no product name in {product!r}"
    versions: VersionRange | None = None
    if version.startswith("vers:"):
        try:
            versions = VersionRange.from_string(_vers(version))
        except ValueError as error:
            return f"invalid version range {version!r}: {error}"
    elif version in ("*", "-"):
        version = ""
    return _Target(
        statement,
        status,
        "name",
        ref=_bom_ref(name),
        vendor=_name(vendor),
        product=_name(name),
        version=_version(version) if versions is None else "",
        versions=versions,
        version_class=versions.version_class if versions is not None else None,
    )


def _bom_ref(text: str) -> str:
    """A bom-ref, from a BOM-Link `urn:cdx:<serial>/<version>#<bom-ref>` when it is one."""
    if text.startswith("urn:cdx:") and "#" in text:
        return unquote(text.split("#", 1)[1])
    return text


def _vers(text: str) -> str:
    # CycloneDX examples write `vers:semver/...`; univers calls that scheme `generic`
    # (its generic versions are semantic versions).
    if text.lower().startswith("vers:semver/"):
        return "vers:generic/" + text[len("vers:semver/") :]
    return text


_SEPARATORS = re.compile(r"[\W_]+")


def _name(text: str) -> str:
    """Vendor and product names compared without case, accents, punctuation or spacing."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SEPARATORS.sub(" ", bare).strip()


def _version(text: str) -> str:
    normal = text.strip().lower()
    if len(normal) > 1 and normal[0] == "v" and normal[1].isdigit():
        normal = normal[1:]
    return normal


# --- purl and CPE coverage ---------------------------------------------------------------


def _purl_covers(statement: PackageURL | None, asset: PackageURL) -> bool:
    if statement is None:
        return False
    if (statement.type, statement.namespace, statement.name) != (
        asset.type,
        asset.namespace,
        asset.name,
    ):
        return False
    if statement.version and statement.version != asset.version:
        return False
    if statement.subpath and asset.subpath and statement.subpath != asset.subpath:
        return False
    mine = statement.qualifiers if isinstance(statement.qualifiers, dict) else {}
    theirs = asset.qualifiers if isinstance(asset.qualifiers, dict) else {}
    return all(theirs[key] == value for key, value in mine.items() if key in theirs)


_ANY = "\x00any"
_NA = "\x00na"
_FS_SPLIT = re.compile(r"(?<!\\):")  # a colon not escaped by a backslash
_FS_UNESCAPE = re.compile(r"\\(.)")
_CPE_ATTRIBUTES = 11  # part ... other


def _cpe_attributes(text: str) -> tuple[str, ...] | None:
    """The 11 attributes of a CPE, unescaped and lower-cased, with ANY/NA marked; None if bad.

    Hand-split: a CPE name is a colon-separated list with backslash escapes (2.3 formatted
    string) or percent-encoding (2.2 URI); no reference library is installed for it.
    """
    lowered = text.strip().lower()
    if lowered.startswith("cpe:2.3:"):
        fields = _FS_SPLIT.split(lowered)[2:]
        if len(fields) != _CPE_ATTRIBUTES:
            return None
        return tuple(_fs_value(value) for value in fields)
    if lowered.startswith("cpe:/"):
        fields = lowered[len("cpe:/") :].split(":")
        if len(fields) > 7 or not fields[0]:
            return None
        if len(fields) >= 6 and fields[5].startswith("~"):
            # 2.2 packs sw_edition, target_sw, target_hw and other into edition.
            packed = fields[5].split("~")[1:]
            if len(packed) != 5:
                return None
            fields = [*fields[:5], packed[0], *fields[6:7], *packed[1:]]
        else:
            fields = fields + [""] * (7 - len(fields))
        fields = fields + [""] * (_CPE_ATTRIBUTES - len(fields))
        return tuple(_uri_value(value) for value in fields)
    return None


def _fs_value(value: str) -> str:
    if value in ("*", ""):
        return _ANY
    if value == "-":
        return _NA
    return _FS_UNESCAPE.sub(r"\1", value)


def _uri_value(value: str) -> str:
    if value == "":
        return _ANY
    if value == "-":
        return _NA
    return unquote(value)


def _cpe_covers(statement: tuple[str, ...], asset: tuple[str, ...]) -> bool:
    return all(mine in (_ANY, theirs) for mine, theirs in zip(statement, asset, strict=True))


# --- English rendering -------------------------------------------------------------------


def render_reason(code: str, params: Mapping[str, Any]) -> str:
    """One line of plain English for a Suppression's (code, params) reason."""
    status = params["status"]
    why = f"{status} — {params['justification']}" if params.get("justification") else status
    source = f", from {params['source']}" if params.get("source") else ""
    scope = ""
    if params.get("designated") and params["designated"] != params.get("asset"):
        scope = f" (statement on {params['designated']}, which contains this asset)"
    if code == "vex.closed":
        return f"Closed by VEX: {why}{source}{scope}"
    if code == "vex.contested":
        other = params.get("overruled_by_source") or "another statement"
        return f"Kept despite VEX {why}{source}{scope}: {other} says affected"
    raise ValueError(f"unknown VEX reason code {code!r}")

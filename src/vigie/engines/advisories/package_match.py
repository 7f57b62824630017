"""Matching inventory purls against advisory packages (`PackageRange`: purl + univers `vers:`).

Identity follows the purl specification's per-type rules (packageurl-python applies most of
them when parsing), completed where the registries are case-insensitive in practice:

* pypi: PEP 503 name normalisation (`Django_Rest.Framework` == `django-rest-framework`);
* npm, nuget, golang, deb, composer, hex, github, gitlab, bitbucket, apk, alpm, pub, luarocks:
  namespace and name compared in lower case;
* rpm: namespace in lower case, name as written;
* everything else (maven, gem, cargo, generic, conan, cocoapods, swift...): as written.
Qualifiers and subpath do not change identity (`?distro=` or `?arch=` do not make a different
package for vulnerability purposes).

Versions: the asset purl's `@version`, else the asset's `version` field, tested against the
`vers:` range with univers (through vigie.engines.advisories.version_expr, which falls back to
our own order for generic schemes). A range that contains the version gives `high`; a version
univers cannot compare, or no version at all, gives `medium` with the reason saying so.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from packageurl import PackageURL

from vigie.engines.advisories.version_expr import parse_version_expr
from vigie.engines.reason_text import render_reasons
from vigie.engines.records import AssetRecord, Match, PackageRange, Reason

_LOWER_NAMESPACE_AND_NAME = frozenset(
    {
        "npm",
        "nuget",
        "golang",
        "deb",
        "composer",
        "hex",
        "github",
        "gitlab",
        "bitbucket",
        "apk",
        "alpm",
        "pub",
        "luarocks",
        "pypi",
        "qpkg",
        "oci",
    }
)
_LOWER_NAMESPACE_ONLY = frozenset({"rpm"})
_PEP503 = re.compile(r"[-_.]+")
MATCHING_STATUSES = frozenset({"affected", "under_investigation"})


@dataclass(frozen=True, slots=True)
class PurlKey:
    """A package's identity: type, namespace and name, normalised per type."""

    type: str
    namespace: str
    name: str

    def __str__(self) -> str:
        middle = f"{self.namespace}/" if self.namespace else ""
        return f"pkg:{self.type}/{middle}{self.name}"


@lru_cache(maxsize=1 << 16)
def _parse(purl: str) -> tuple[PurlKey, str] | None:
    try:
        parsed = PackageURL.from_string(purl.strip())
    except ValueError:
        return None
    kind = parsed.type.lower()
    namespace = parsed.namespace or ""
    name = parsed.name
    if kind in _LOWER_NAMESPACE_AND_NAME:
        namespace, name = namespace.lower(), name.lower()
    elif kind in _LOWER_NAMESPACE_ONLY:
        namespace = namespace.lower()
    if kind == "pypi":
        name = _PEP503.sub("-", name)
    return PurlKey(kind, namespace, name), parsed.version or ""


def purl_key(purl: str) -> PurlKey | None:
    """The normalised identity of a purl string; None when it is not a valid purl."""
    parsed = _parse(purl)
    return parsed[0] if parsed else None


def purl_version(purl: str) -> str:
    """The `@version` of a purl string ('' when absent or invalid)."""
    parsed = _parse(purl)
    return parsed[1] if parsed else ""


@dataclass(frozen=True, slots=True)
class PackageMatch:
    confidence: str  # high | medium
    reason: str  # English rendering of `reasons`
    version: str
    version_range: str
    reasons: tuple[Reason, ...] = ()  # (code, params): engines/reason_text.MESSAGES

    def to_match(
        self, asset_id: str, vulnerability: str, source: str, package: PackageRange
    ) -> Match:
        return Match(
            asset=asset_id,
            vulnerability=vulnerability,
            source=source,
            confidence=self.confidence,
            reason=self.reason,
            criterion=package.purl,
            version_range=self.version_range,
            reasons=self.reasons,
        )


def _found(confidence: str, version: str, bound: str, *reasons: Reason) -> PackageMatch:
    return PackageMatch(confidence, render_reasons(reasons), version, bound, reasons)


def _verdict(asset_purl: str, version: str, package: PackageRange) -> PackageMatch | None:
    expr = parse_version_expr(package.vers)
    key = purl_key(package.purl)
    source = {"package": str(key) if key else package.purl, "inventory": asset_purl}
    investigating = package.status == "under_investigation"
    status: tuple[Reason, ...] = (("status_under_investigation", {}),) if investigating else ()
    if expr.kind == "all":
        confidence = "medium" if investigating else "high"
        return _found(confidence, version, "*", ("package_all_versions", source), *status)
    if not version:
        described = expr.describe()
        return _found(
            "medium",
            version,
            described,
            ("package_version_unknown", {**source, "range": described}),
            *status,
        )
    decided = expr.contains(version)
    if decided is False:
        return None
    if decided is None:
        part = (
            "package_version_not_comparable",
            {**source, "version": version, "vers": package.vers},
        )
        return _found("medium", version, expr.describe(), part, *status)
    bound = expr.matching_interval(version)
    confidence = "medium" if investigating else "high"
    part = ("package_version_within", {**source, "version": version, "range": bound})
    return _found(confidence, version, bound, part, *status)


def match_package(asset: AssetRecord, package: PackageRange) -> PackageMatch | None:
    """Match an asset's purls against one advisory package; None when none matches."""
    if package.status not in MATCHING_STATUSES:
        return None
    wanted = purl_key(package.purl)
    if wanted is None:
        return None
    for purl in asset.purls:
        parsed = _parse(purl)
        if parsed is None or parsed[0] != wanted:
            continue
        found = _verdict(purl, parsed[1] or asset.version.strip(), package)
        if found is not None:
            return found
    return None


class PackageIndex:
    """Asset purls by normalised identity: one advisory package meets only its own assets."""

    def __init__(self, assets: Iterable[AssetRecord] = ()) -> None:
        self._by_key: dict[PurlKey, list[tuple[AssetRecord, str, str]]] = defaultdict(list)
        for asset in assets:
            self.add(asset)

    def add(self, asset: AssetRecord) -> None:
        for purl in asset.purls:
            parsed = _parse(purl)
            if parsed is not None:
                key, version = parsed
                self._by_key[key].append((asset, purl, version or asset.version.strip()))

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_key.values())

    def match(self, package: PackageRange) -> list[tuple[AssetRecord, PackageMatch]]:
        """Every asset with a purl of this package whose version is in the range."""
        if package.status not in MATCHING_STATUSES:
            return []
        wanted = purl_key(package.purl)
        if wanted is None:
            return []
        out: list[tuple[AssetRecord, PackageMatch]] = []
        seen: set[str] = set()
        for asset, purl, version in self._by_key.get(wanted, ()):
            if asset.id in seen:
                continue
            found = _verdict(purl, version, package)
            if found is not None:
                seen.add(asset.id)
                out.append((asset, found))
        return out

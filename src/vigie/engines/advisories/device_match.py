"""Matching inventory assets against products an advisory names without CPE or purl.

CISA's medical advisories (CSAF) and many CVE 5 records name products in words: vendor
`Becton, Dickinson and Company (BD)`, product `Alaris 8015 PC Unit`, versions `<= 9.33.1`. A
hospital inventory says `BD` / `Alaris PC Unit model 8015` / `9.19`. The rules:

1. Vendor: the names must denote the same company after folding and aliases
   (vigie.engines.advisories.names); a *related* company (Siemens / Siemens Healthineers) caps the
   confidence at medium; an advisory without a usable vendor (`n/a`) caps it at low. An asset
   with no vendor takes one from the start of its product or name (`Philips IntelliVue MX40`);
   failing that it matches nothing (the vendor is required).
2. Product, graded: `exact` (same words, any order, generic words such as `model` or `software`
   ignored) -> high; `contains` (the asset names every word of the advisory's product) or
   `narrower` (the asset lacks only the advisory's model number) or `model` (a model number in
   common, with a word in common) -> medium; `partial` (most words in common) -> low.
3. Version: parsed with vigie.engines.advisories.version_expr. Outside the range: no match.
   Unknown (no version in the inventory, or an expression we cannot read): one confidence step down.
   CISA often lists *models* where versions go (`MiniMed 630G: MMT-1715 | MMT-1754`): when the
   asset carries one of those as a model number, the product matches for all its versions.
   A qualifier cut from the expression (`on Windows 8.1 with IIS 7.5`) caps at medium.
4. Only `affected` and `under_investigation` statuses match (the latter capped at low);
   `fixed` and `not_affected` are VEX, not alerts.

`DeviceIndex` (assets by vendor key) and `NamedProductIndex` (advisory products by vendor key)
make one advisory product meet only the assets of its vendor, and one asset only its vendor's
products.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from vigie.engines.advisories.names import (
    ProductName,
    VendorRelation,
    family_keys,
    fold,
    infer_vendor,
    product_name,
    vendor_keys,
    vendor_relation,
)
from vigie.engines.advisories.version_expr import VersionExpr, parse_version_expr
from vigie.engines.records import AssetRecord, Match, NamedProduct

ProductGrade = Literal["exact", "contains", "narrower", "model", "partial"]
_LEVELS = ("low", "medium", "high")
_BASE_CONFIDENCE: dict[str, str] = {
    "exact": "high",
    "contains": "medium",
    "narrower": "medium",
    "model": "medium",
    "partial": "low",
}
MATCHING_STATUSES = frozenset({"affected", "under_investigation"})


def _cap(confidence: str, ceiling: str) -> str:
    return confidence if _LEVELS.index(confidence) <= _LEVELS.index(ceiling) else ceiling


def _step_down(confidence: str) -> str:
    return _LEVELS[max(0, _LEVELS.index(confidence) - 1)]


@dataclass(frozen=True, slots=True)
class DeviceMatch:
    """Why an asset matches an advisory product, and how sure we are."""

    confidence: str  # high | medium | low
    reason: str
    vendor_relation: str  # same | alias | family | unknown
    product_grade: ProductGrade
    version_decided: bool  # False when the version could not be compared
    version_range: str  # the bound(s) that matched, in words

    def to_match(
        self, asset_id: str, vulnerability: str, source: str, product: NamedProduct
    ) -> Match:
        """The records.Match for this pair (criterion: the advisory's vendor and product)."""
        return Match(
            asset=asset_id,
            vulnerability=vulnerability,
            source=source,
            confidence=self.confidence,
            reason=self.reason,
            criterion=f"{product.vendor} {product.product}".strip(),
            version_range=self.version_range,
        )


@dataclass(frozen=True, slots=True)
class _AssetNames:
    """What matching needs of an asset, computed once."""

    asset: AssetRecord
    vendor: str
    keys: frozenset[str]
    product: ProductName
    name: ProductName
    words: frozenset[str]
    models: frozenset[str]


def _asset_names(asset: AssetRecord) -> _AssetNames:
    vendor = asset.vendor.strip() or infer_vendor(asset.product or asset.name) or ""
    product = product_name(asset.product or asset.name, vendor)
    name = product_name(asset.name, vendor) if asset.name and asset.product else product
    return _AssetNames(
        asset=asset,
        vendor=vendor,
        keys=vendor_keys(vendor) if vendor else frozenset(),
        product=product,
        name=name,
        words=product.words | name.words,
        models=product.models | name.models,
    )


def _compact(text: str) -> str:
    return fold(text).replace(" ", "")


def _grade_product(
    names: _AssetNames, advisory: ProductName, extra_models: frozenset[str]
) -> tuple[ProductGrade, str] | None:
    """Grade how the asset's product relates to the advisory's; None when unrelated."""
    asset = names.product
    if not advisory.words:
        return None
    if asset.words and (asset.text == advisory.text or asset.words == advisory.words):
        return "exact", "same product"
    if advisory.words <= names.words:
        return "contains", "the inventory names every word of it"
    models = advisory.models | extra_models
    missing = advisory.words - asset.words
    if (
        asset.words
        and asset.words < advisory.words
        and any(not w.isdigit() for w in asset.words)
        and all(any(c.isdigit() for c in w) for w in missing)
    ):
        shown = ", ".join(sorted(missing))
        return "narrower", f"model {shown} not stated in the inventory"
    shared_models = models & names.models
    shared_words = advisory.words & names.words
    if shared_models and (
        shared_words - shared_models or any(len(m) >= 4 and not m.isdigit() for m in shared_models)
    ):
        return "model", f"model {', '.join(sorted(shared_models))}"
    significant = {w for w in shared_words if len(w) >= 3}
    union = advisory.words | names.words
    if len(significant) >= 2 and len(shared_words) * 2 >= len(union):
        return "partial", f"words in common: {', '.join(sorted(shared_words))}"
    return None


def _listed_models(expr: VersionExpr, names: _AssetNames) -> list[str]:
    """Advisory 'versions' that are really model numbers the asset carries (MMT-1715)."""
    candidates = list(expr.exact_values)
    if expr.kind == "unparsable":
        candidates += expr.text.replace("|", " ").split()
    found = [c for c in candidates if len(_compact(c)) >= 3 and _compact(c) in names.models]
    return list(dict.fromkeys(found))


def _version_verdict(expr: VersionExpr, names: _AssetNames) -> tuple[bool | None, str, str] | None:
    """(decided, words, bound) or None when the version is outside the range."""
    version = names.asset.version.strip()
    decided = expr.contains(version) if version else (True if expr.kind == "all" else None)
    if decided is True:
        if expr.kind == "all":
            return True, "all versions affected", "all versions"
        bound = expr.matching_interval(version)
        return True, f"version {version} within {bound}", bound
    models = _listed_models(expr, names)
    if models:
        return True, f"advisory lists model {', '.join(models)} (all its versions)", expr.text
    if decided is False:
        return None
    if not version:
        return False, f"version not in the inventory (advisory: {expr.describe()})", expr.describe()
    if expr.kind == "unparsable":
        return False, f"advisory version {expr.text!r} not understood", expr.text
    return False, f"version {version} not comparable with {expr.describe()}", expr.describe()


def _match(
    names: _AssetNames, product: NamedProduct, relation: VendorRelation
) -> DeviceMatch | None:
    status = product.status.strip().lower() or "affected"
    if status not in MATCHING_STATUSES:
        return None
    advisory = product_name(product.product, product.vendor)
    extra_models = frozenset(_compact(m) for m in product.model_numbers if _compact(m))
    graded = _grade_product(names, advisory, extra_models)
    if graded is None:
        return None
    grade, product_detail = graded
    expr = parse_version_expr(product.versions)
    verdict = _version_verdict(expr, names)
    if verdict is None:
        return None
    decided, version_words, bound = verdict
    confidence = _BASE_CONFIDENCE[grade]
    if relation.kind == "family":
        confidence = _cap(confidence, "medium")
    elif relation.kind == "unknown":
        confidence = _cap(confidence, "low")
    if not decided:
        confidence = _step_down(confidence)
    if expr.note:
        confidence = _cap(confidence, "medium")
        version_words += f" (condition not checked: {expr.note})"
    if status == "under_investigation":
        confidence = _cap(confidence, "low")
        version_words += "; the vendor is still investigating"
    shown_asset = names.asset.product or names.asset.name
    reason = (
        f"{relation.explanation}; product {shown_asset!r} matches {product.product!r} "
        f"({product_detail}); {version_words}"
    )
    return DeviceMatch(
        confidence=confidence,
        reason=reason,
        vendor_relation=relation.kind,
        product_grade=grade,
        version_decided=bool(decided),
        version_range=bound,
    )


def match_device(asset: AssetRecord, product: NamedProduct) -> DeviceMatch | None:
    """Match one asset against one advisory product; None when they do not match."""
    names = _asset_names(asset)
    if not names.vendor:
        return None
    relation = vendor_relation(names.vendor, product.vendor)
    if relation is None:
        return None
    return _match(names, product, relation)


def _relation(names: _AssetNames, product: NamedProduct) -> VendorRelation | None:
    return vendor_relation(names.vendor, product.vendor)


class DeviceIndex:
    """Assets grouped by vendor key, to match advisory products against their vendor's assets."""

    def __init__(self, assets: Iterable[AssetRecord] = ()) -> None:
        self._by_key: dict[str, list[_AssetNames]] = defaultdict(list)
        self._all: list[_AssetNames] = []
        for asset in assets:
            self.add(asset)

    def add(self, asset: AssetRecord) -> None:
        names = _asset_names(asset)
        if not names.keys:
            return  # no vendor, none inferable: cannot meet a named product
        self._all.append(names)
        for key in names.keys:
            self._by_key[key].append(names)

    def __len__(self) -> int:
        return len(self._all)

    def _candidates(self, product: NamedProduct) -> list[_AssetNames]:
        keys = vendor_keys(product.vendor)
        if not keys:
            return self._all
        seen: dict[str, _AssetNames] = {}
        for key in keys | family_keys(keys):
            for names in self._by_key.get(key, ()):
                seen.setdefault(names.asset.id, names)
        return list(seen.values())

    def candidates(self, product: NamedProduct) -> list[AssetRecord]:
        """Assets whose vendor is the product's (alias or related company)."""
        return [n.asset for n in self._candidates(product)]

    def match(self, product: NamedProduct) -> list[tuple[AssetRecord, DeviceMatch]]:
        """Every asset matching `product`, with the match."""
        out: list[tuple[AssetRecord, DeviceMatch]] = []
        for names in self._candidates(product):
            relation = _relation(names, product)
            if relation is None:
                continue
            found = _match(names, product, relation)
            if found is not None:
                out.append((names.asset, found))
        return out


P = TypeVar("P")


class NamedProductIndex(Generic[P]):
    """Advisory products (each with a payload, e.g. its vulnerability) grouped by vendor key."""

    def __init__(self) -> None:
        self._by_key: dict[str, list[tuple[NamedProduct, P]]] = defaultdict(list)
        self._unknown_vendor: list[tuple[NamedProduct, P]] = []

    def add(self, product: NamedProduct, payload: P) -> None:
        keys = vendor_keys(product.vendor)
        if not keys:
            self._unknown_vendor.append((product, payload))
        for key in keys:
            self._by_key[key].append((product, payload))

    def match(self, asset: AssetRecord) -> list[tuple[NamedProduct, P, DeviceMatch]]:
        """Every indexed product the asset matches, with its payload and the match."""
        names = _asset_names(asset)
        if not names.keys:
            return []
        seen: set[int] = set()
        out: list[tuple[NamedProduct, P, DeviceMatch]] = []
        pools = [self._by_key.get(k, []) for k in names.keys | family_keys(names.keys)]
        for pool in [*pools, self._unknown_vendor]:
            for product, payload in pool:
                if id(product) in seen:
                    continue
                seen.add(id(product))
                relation = _relation(names, product)
                if relation is None:
                    continue
                found = _match(names, product, relation)
                if found is not None:
                    out.append((product, payload, found))
        return out

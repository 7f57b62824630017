"""Lookup keys shared by assets and vulnerability records.

The platform stores these keys in two indexed tables (inventory.AssetKey, vulns.VulnKey): a
new vulnerability is matched only against the assets sharing one of its keys, and a changed
asset only against the records sharing one of its keys. The keys mirror what the matchers
compare first, so a pair that shares no key can never match:

* `cpe`    "vendor:product" of a CPE (NVD configurations, installed CPEs);
* `cpe_vendor`  "vendor" of a criterion whose product is a pattern (`cpe:...:acme:*_server:...`);
* `vendor` a canonical vendor key from names.vendor_keys (advisories naming products), with the
  related companies of an advisory's vendor, and the misspelling keys of vendors the alias table
  does not know (`~h:`/`~t:`, names.fuzzy_lookup_keys; assets identified by names alone);
* `product` a distinctive word or model of a product named without a vendor (CVE 5 entries
  with only a `packageName`), and the same words of assets identified by names alone;
* `purl`   "pkg:type/namespace/name" normalised per package type.
"""

from __future__ import annotations

from vigie.engines.advisories.device_match import (
    PRODUCT_KEY,
    asset_lookup_keys,
    product_lookup_keys,
)
from vigie.engines.advisories.package_match import purl_key
from vigie.engines.cpe.configurations import compile_configurations
from vigie.engines.cpe.names import CpeError, Wildcard, parse_cpe
from vigie.engines.records import AssetRecord, VulnRecord

MatchKey = tuple[str, str]
MATCHING_STATUSES = frozenset({"affected", "under_investigation"})


def _named_key(key: str) -> MatchKey:
    if key.startswith(PRODUCT_KEY):
        return ("product", key.removeprefix(PRODUCT_KEY))
    return ("vendor", key)


def asset_keys(asset: AssetRecord) -> set[MatchKey]:
    keys: set[MatchKey] = set()
    for text in asset.cpes:
        try:
            cpe = parse_cpe(text)
        except CpeError:
            continue
        if isinstance(cpe.vendor, str) and isinstance(cpe.product, str):
            keys.add(("cpe", f"{cpe.vendor}:{cpe.product}"))
            keys.add(("cpe_vendor", cpe.vendor))
    keys.update(_named_key(key) for key in asset_lookup_keys(asset))
    for purl in asset.purls:
        parsed = purl_key(purl)
        if parsed is not None:
            keys.add(("purl", str(parsed)))
    return keys


def record_keys(record: VulnRecord) -> set[MatchKey]:
    """Keys of a feed record; empty for a rejected record (it must match nothing)."""
    if record.rejected:
        return set()
    keys: set[MatchKey] = set()
    if record.configurations:
        compiled = compile_configurations(record.id, record.configurations, record.source)
        for criterion in compiled.lookup:
            vendor, cpe_product = criterion.cpe.vendor, criterion.cpe.product
            if not isinstance(vendor, str):
                continue  # a criterion without a literal vendor is never indexed (nvd_match.py)
            if isinstance(cpe_product, str):
                keys.add(("cpe", f"{vendor}:{cpe_product}"))
            elif isinstance(cpe_product, Wildcard):
                keys.add(("cpe_vendor", vendor))
    for product in record.named_products:
        if product.status not in MATCHING_STATUSES:
            continue
        keys.update(_named_key(key) for key in product_lookup_keys(product))
    for package in record.packages:
        if package.status not in MATCHING_STATUSES:
            continue
        parsed = purl_key(package.purl)
        if parsed is not None:
            keys.add(("purl", str(parsed)))
    return keys

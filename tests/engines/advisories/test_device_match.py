"""Named-product matching: inventory assets against CISA ICSMA advisory products."""

from __future__ import annotations

import json
from pathlib import Path

from vigie.engines.advisories.device_match import DeviceIndex, NamedProductIndex, match_device
from vigie.engines.inventory import read_csv_inventory
from vigie.engines.records import AssetRecord, NamedProduct

TESTS = Path(__file__).resolve().parents[2]
CSAF = TESTS / "data" / "csaf_medical"
STATUS = {
    "known_affected": "affected",
    "first_affected": "affected",
    "last_affected": "affected",
    "fixed": "fixed",
    "first_fixed": "fixed",
    "known_not_affected": "not_affected",
    "under_investigation": "under_investigation",
}


def advisory_products(name: str) -> list[NamedProduct]:
    """The advisory's (vendor, product, version expression) leaves with their status.

    A deliberately small reading of CSAF for these tests; the real parser lives with the feeds.
    """
    document = json.loads((CSAF / name).read_text("utf-8"))
    statuses: dict[str, str] = {}
    for vulnerability in document.get("vulnerabilities", []):
        for key, ids in vulnerability.get("product_status", {}).items():
            for product_id in ids:
                statuses.setdefault(product_id, STATUS.get(key, key))
    found: list[NamedProduct] = []

    def walk(branches: list[dict[str, object]], vendor: str, product: str) -> None:
        for branch in branches:
            category, value = str(branch["category"]), str(branch["name"])
            if category == "vendor":
                vendor = value
            elif category == "product_name":
                product = value
            leaf = branch.get("product")
            if isinstance(leaf, dict) and category.startswith("product_version"):
                product_id = str(leaf["product_id"])
                found.append(
                    NamedProduct(
                        vendor, product, value, statuses.get(product_id, "affected"), product_id
                    )
                )
            children = branch.get("branches")
            if isinstance(children, list):
                walk(children, vendor, product)

    walk(document["product_tree"]["branches"], "", "")
    return found


def asset(
    asset_id: str, vendor: str, product: str, version: str = "", name: str = ""
) -> AssetRecord:
    return AssetRecord(
        id=asset_id, name=name or product, vendor=vendor, product=product, version=version
    )


def best(pump: AssetRecord, advisory: str) -> list[tuple[str, str, str]]:
    results = []
    for product in advisory_products(advisory):
        found = match_device(pump, product)
        if found is not None:
            results.append((product.versions, found.confidence, found.reason))
    return results


def test_bd_alias_and_model_number_in_another_place_match_at_medium_never_high() -> None:
    pump = asset("p1", "BD", "Alaris PC Unit model 8015", "9.19")
    matches = best(pump, "icsma-17-017-02.json")
    # 9.19 is above 9.5 (19 > 5): only the second range holds it. Names are never `high`.
    assert [(v, c) for v, c, _ in matches] == [("<= 9.33", "medium")]
    assert matches[0][2] == (
        "vendor BD ≈ Becton, Dickinson and Company (BD) (alias); product 'Alaris PC Unit model "
        "8015' matches 'Alaris 8015 PC unit' (same product); version 9.19 within <= 9.33"
    )


def test_asset_without_the_model_number_matches_at_low_and_says_so() -> None:
    pump = asset("p1", "Becton Dickinson", "Alaris PC Unit", "9.19")
    [(versions, confidence, reason), *_] = best(pump, "icsma-17-017-02.json")
    assert (versions, confidence) == ("<= 9.33", "low")
    assert "(model 8015 not stated in the inventory)" in reason


def test_version_outside_every_range_does_not_match() -> None:
    pump = asset("p1", "BD", "Alaris 8015 PC Unit", "9.40")
    assert best(pump, "icsma-17-017-02.json") == []


def test_asset_without_version_against_a_bounded_range_is_low_and_says_why() -> None:
    pump = asset("p1", "BD", "Alaris 8015 PC Unit")
    matches = best(pump, "icsma-17-017-02.json")
    assert {c for _, c, _ in matches} == {"low"}
    assert "version not in the inventory (advisory: <= 9.33)" in matches[1][2]


def test_free_text_interval_of_an_advisory() -> None:
    central = asset("ic", "BD", "Alaris Infusion Central", "1.2")
    [(versions, confidence, reason)] = best(central, "icsma-23-047-01.json")
    assert versions == ">= 1.1 | <= 1.3.2"
    assert confidence == "medium"
    assert reason.endswith("version 1.2 within >= 1.1, <= 1.3.2")
    assert best(asset("ic", "BD", "Alaris Infusion Central", "1.4"), "icsma-23-047-01.json") == []


def test_medtronic_models_listed_as_versions_match_the_asset_model() -> None:
    pump = asset("m1", "Medtronic", "MiniMed 630G MMT-1715", "4.1")
    matches = best(pump, "icsma-22-263-01.json")
    assert [(v, c) for v, c, _ in matches] == [("MMT-1715 | MMT-1754 | MMT-1755", "medium")]
    assert "advisory lists model MMT-1715 (all its versions)" in matches[0][2]


def test_general_electric_wildcard_versions_and_gehealthcare_alias() -> None:
    station = asset("cs", "GE Healthcare", "CARESCAPE Central Station", "2.1")
    matches = best(station, "icsma-20-023-01.json")
    assert [(v, c) for v, c, _ in matches] == [("2.X", "medium")]


def test_philips_revision_range_with_wildcard() -> None:
    monitor = asset("ef", "Philips", "Efficia CM Series", "C.03")
    assert [(v, c) for v, c, _ in best(monitor, "icsma-21-322-02.json")] == [
        ("A.01 <= C.0x | 4.0", "medium")
    ]


def test_asset_without_vendor_takes_it_from_its_product_name() -> None:
    monitor = asset("mx", "", "Philips IntelliVue MX40 Patient Worn Monitor", "B.06.10")
    [(versions, confidence, reason)] = best(monitor, "icsma-17-255-01.json")
    assert (versions, confidence) == ("< B.06.18", "medium")
    assert reason.startswith("vendor Philips; ")


def test_qualified_range_is_low_and_reports_the_condition() -> None:
    ris = asset("ris", "Carestream", "RIS Client Builds", "11.0")
    [(_, confidence, reason)] = best(ris, "icsma-18-277-01.json")
    assert confidence == "low"
    assert "condition not checked: on Windows 8.1 with IIS 7.5" in reason


def test_other_vendor_never_matches_even_with_the_same_product_name() -> None:
    copy = asset("x", "Philips", "Alaris 8015 PC Unit", "9.19")
    assert best(copy, "icsma-17-017-02.json") == []


def test_related_company_and_unknown_vendor_are_low() -> None:
    scanner = asset("s", "Siemens", "Symbia.net", "VA10")
    related = match_device(
        scanner, NamedProduct("Siemens Healthineers", "Symbia.net", "vers:all/*")
    )
    assert related is not None
    assert (related.confidence, related.vendor_relation) == ("low", "family")
    anonymous = match_device(scanner, NamedProduct("n/a", "Symbia.net", "vers:all/*"))
    assert anonymous is not None
    assert anonymous.confidence == "low"


def test_fixed_and_not_affected_products_are_not_matches() -> None:
    pump = asset("p", "BD", "Alaris 8015 PC Unit", "9.19")
    for status in ("fixed", "not_affected"):
        assert (
            match_device(pump, NamedProduct("BD", "Alaris 8015 PC Unit", "<= 9.33", status)) is None
        )
    pending = match_device(
        pump, NamedProduct("BD", "Alaris 8015 PC Unit", "<= 9.33", "under_investigation")
    )
    assert pending is not None
    assert pending.confidence == "low"


def test_index_tests_an_advisory_product_only_against_its_vendor_assets() -> None:
    assets, errors, _ = read_csv_inventory(TESTS / "data" / "inventory" / "hospital-inventory.csv")
    assert errors == []
    index = DeviceIndex(assets)
    product = advisory_products("icsma-17-017-02.json")[1]  # <= 9.33
    assert {a.id for a in index.candidates(product)} == {"rea-pompe-01", "rea-pompe-02"}
    matched = {(a.id, m.confidence) for a, m in index.match(product)}
    assert matched == {("rea-pompe-01", "medium")}  # rea-pompe-02 runs 9.40
    record = index.match(product)[0][1].to_match(
        "rea-pompe-01", "CVE-2016-9355", "csaf:ICSMA-17-017-02", product
    )
    assert record.version_range == "<= 9.33"
    assert record.criterion == "Becton, Dickinson and Company (BD) Alaris 8015 PC unit"


def test_product_index_matches_an_asset_against_its_vendor_products_only() -> None:
    index: NamedProductIndex[str] = NamedProductIndex()
    for name in sorted(p.name for p in CSAF.glob("icsma-*.json")):
        for product in advisory_products(name):
            index.add(product, name)
    pump = asset("p1", "BD", "Alaris PC Unit model 8015", "9.19")
    advisories = {payload for _, payload, _ in index.match(pump)}
    assert advisories == {"icsma-17-017-02.json", "icsma-23-194-01.json"}
    spacecom = asset("sc", "B. Braun", "SpaceCom", "U60")
    assert {p.versions for p, _, _ in index.match(spacecom)} == {"<= U61 |<= L81"}

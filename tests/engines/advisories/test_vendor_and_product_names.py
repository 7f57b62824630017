"""Vendor and product names from CISA advisories, CVE records and inventories, made comparable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vigie.engines.advisories.names import (
    add_vendor_alias,
    fold,
    infer_vendor,
    normalise_vendor,
    product_name,
    vendor_keys,
    vendor_relation,
)

CSAF = Path(__file__).resolve().parents[2] / "data" / "csaf_medical"


def advisory_vendors() -> set[str]:
    vendors: set[str] = set()
    for path in CSAF.glob("icsma-*.json"):
        tree = json.loads(path.read_text("utf-8"))["product_tree"]["branches"]
        vendors.update(b["name"] for b in tree if b["category"] == "vendor")
    return vendors


@pytest.mark.parametrize(
    "spelling",
    [
        "BD",
        "Becton Dickinson",
        "Becton, Dickinson and Company",
        "Becton, Dickinson and Company (BD)",  # CISA CSAF
        "Becton Dickinson & Co",  # CVE 5 CNA (vulnrichment)
        "BECTON DICKINSON & CO.",
        "CareFusion",
    ],
)
def test_bd_spellings_are_one_vendor(spelling: str) -> None:
    assert vendor_keys(spelling) == vendor_keys("BD")


def test_every_vendor_in_the_bd_advisories_is_bd() -> None:
    bd = [v for v in advisory_vendors() if "Becton" in v]
    assert bd
    assert {vendor_keys(v) for v in bd} == {vendor_keys("BD")}


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("General Electric (GE)", "GE Healthcare"),
        ("GE HealthCare", "GE"),
        ("Philips", "Koninklijke Philips N.V."),
        ("B. Braun", "B Braun Melsungen AG"),
        ("B. Braun Medical", "B. Braun Melsungen AG"),
        ("Dräger", "Draeger"),
        ("Drägerwerk AG & Co. KGaA", "Dräger"),
        ("Hillrom", "Hill-Rom"),
        ("Welch Allyn", "Hillrom"),
        ("Smiths Medical", "ICU Medical"),
        ("Abbott Laboratories", "St. Jude Medical"),
        ("Santesoft", "Sante"),
        ("OFFIS e.V.", "OFFIS"),
        ("Natus Medical, Inc. (Natus)", "Natus"),
        ("SOOIL Developments Co, Ltd.", "SOOIL"),
        ("i-SENS Inc", "iSENS"),
        ("Hamilton Medical AG", "Hamilton Medical"),
    ],
)
def test_aliases_and_corporate_suffixes(left: str, right: str) -> None:
    assert vendor_keys(left) == vendor_keys(right)


def test_mojibake_vendor_from_a_cisa_advisory_is_repaired() -> None:
    [innokas] = [v for v in advisory_vendors() if v.startswith("Innokas")]
    assert innokas == "Innokas YhtymÃ¤ Oy"  # as stored in the CSAF file
    assert normalise_vendor(innokas) == "innokas yhtyma"
    assert vendor_keys(innokas) == vendor_keys("Innokas Yhtymä Oy")


def test_medical_and_healthcare_are_not_stripped_blindly() -> None:
    assert vendor_keys("Change Healthcare") != vendor_keys("Change")
    assert vendor_keys("GE Digital") != vendor_keys("GE Healthcare")
    assert vendor_keys("Fresenius Kabi") != vendor_keys("Fresenius Medical Care")


def test_a_string_naming_several_vendors_gives_each() -> None:
    keys = vendor_keys("Silex Technology and GE Healthcare")
    assert vendor_keys("GE") <= keys
    assert vendor_keys("Silex") <= keys
    assert len(vendor_keys("ENEA, Green Hills Software, ITRON, IP Infusion, and Wind River")) == 5
    # Not split when no part is a known vendor.
    assert len(vendor_keys("Smith, Jones and Partners")) == 1


def test_unknown_vendor_values_give_no_key() -> None:
    for value in ("n/a", "", "NOASSERTION", "Unknown"):
        assert vendor_keys(value) == frozenset()


def test_relation_says_alias_or_related_company() -> None:
    alias = vendor_relation("BD", "Becton, Dickinson and Company (BD)")
    assert alias is not None
    assert alias.kind == "alias"
    assert alias.explanation == "vendor BD ≈ Becton, Dickinson and Company (BD) (alias)"
    family = vendor_relation("Siemens", "Siemens Healthineers")
    assert family is not None
    assert family.kind == "family"
    assert vendor_relation("Philips", "Siemens") is None
    unknown = vendor_relation("Philips", "n/a")
    assert unknown is not None
    assert unknown.kind == "unknown"


def test_runtime_alias_is_honoured() -> None:
    add_vendor_alias("Vigie Test Devices", "VTD Medical Systems")
    assert vendor_keys("VTD Medical Systems") == vendor_keys("Vigie Test Devices")


def test_fold_drops_accents_case_punctuation_and_trade_marks() -> None:
    assert fold("Dräger  Infinity®-Delta™") == "drager infinity delta"
    assert fold("BD Alarisâ„¢ Systems Manager") == "bd alaris systems manager"


def test_model_number_position_does_not_matter() -> None:
    a = product_name("Alaris 8015 PC Unit")
    b = product_name("Alaris PC Unit model 8015")
    assert a.words == b.words == {"alaris", "8015", "pc", "unit"}
    assert a.models == b.models == {"8015"}


def test_vendor_words_in_front_of_the_product_are_dropped() -> None:
    assert product_name("BD Alaris Systems Manager", "Becton Dickinson").text == (
        "alaris systems manager"
    )
    assert product_name("GE Aespire", "General Electric (GE)").text == "aespire"


def test_model_numbers_agree_across_separators() -> None:
    assert "mmt1715" in product_name("MiniMed 630G MMT-1715").models
    assert "mmt1715" in product_name("MiniMed 630G mmt 1715").models
    assert "ec40" in product_name("IntelliBridge EC 40 Hub").models
    assert "ec40" in product_name("IntelliBridge EC40 Hub").models


def test_parenthesised_abbreviations_are_not_required_words() -> None:
    assert (
        product_name("CARESCAPE Central Station (CSCS)").words
        == product_name("CARESCAPE Central Station").words
    )


def test_vendor_is_read_from_the_start_of_an_asset_name() -> None:
    assert infer_vendor("Philips IntelliVue MX40") == "Philips"
    assert infer_vendor("B. Braun SpaceCom") == "B. Braun"
    assert infer_vendor("Pompe Alaris") is None

"""One test per rule of medical-device matching, and per precision trap.

The names are invented in the style of real CISA advisories (the issue's examples), so each
rule is shown on its own; tests/engines/advisories/test_device_eval.py measures them together
on real advisories.
"""

from __future__ import annotations

import pytest

from vigie.engines.advisories.device_match import DeviceMatch, match_device
from vigie.engines.matching import match_records
from vigie.engines.records import AssetRecord, NamedProduct, VulnRecord


def asset(
    vendor: str,
    product: str,
    version: str = "",
    *,
    name: str = "",
    cpes: tuple[str, ...] = (),
) -> AssetRecord:
    return AssetRecord(
        id="a1", name=name or product, vendor=vendor, product=product, version=version, cpes=cpes
    )


def match(
    inventory: AssetRecord, vendor: str, product: str, versions: str = "vers:all/*"
) -> DeviceMatch | None:
    return match_device(inventory, NamedProduct(vendor, product, versions))


def codes(found: DeviceMatch | None) -> list[str]:
    assert found is not None
    return [code for code, _ in found.reasons]


# --- 1. vendor misspelt ---------------------------------------------------------------------------


def test_vendor_one_doubled_letter_apart_is_the_same_vendor_at_medium_with_the_reason() -> None:
    found = match(
        asset("Nordalis Medical", "Vexa Monitor", "2.0"),
        "Nordallis Medical",
        "Vexa Monitor",
        "<= 2.1",
    )
    assert found is not None
    assert (found.confidence, found.vendor_relation) == ("medium", "fuzzy")
    assert (
        "Nordalis Medical ≈ Nordallis Medical (spelt differently: a doubled letter)" in found.reason
    )


@pytest.mark.parametrize(
    ("inventory", "advisory"),
    [
        ("Medtronik", "Medtronic"),
        ("Becton Dikinson", "Becton, Dickinson and Company (BD)"),
        ("Philipps", "Philips"),
    ],
)
def test_vendor_one_letter_apart_from_a_known_vendor_matches(inventory: str, advisory: str) -> None:
    found = match(asset(inventory, "Orbis Planner", "1.0"), advisory, "Orbis Planner", "<= 2.0")
    assert found is not None
    assert found.vendor_relation == "fuzzy"
    assert found.confidence == "medium"


def test_short_vendor_names_are_never_taken_for_misspellings() -> None:
    # Five letters: `Zolls` is not `Zoll`, `Acma` is not `Acme`.
    assert match(asset("Acma", "Vexa Monitor", "1.0"), "Acme", "Vexa Monitor") is None
    assert match(asset("Nordalis", "Vexa", "1.0"), "Nordalus Two", "Vexa") is None


def test_vendor_two_letters_apart_is_another_vendor() -> None:
    assert (
        match(asset("Nordelis Medikal", "Vexa Monitor", "1.0"), "Nordallis Medical", "Vexa Monitor")
        is None
    )


def test_misspelt_vendor_is_not_forgiven_for_an_asset_identified_by_cpe() -> None:
    inventory = asset(
        "Nordalis Medical",
        "Vexa Monitor",
        "1.0",
        cpes=("cpe:2.3:a:nordalis:vexa:1.0:*:*:*:*:*:*:*",),
    )
    assert match(inventory, "Nordallis Medical", "Vexa Monitor") is None


# --- 2. version family inside the product name ----------------------------------------------------


def test_version_family_in_the_product_name_is_the_version_expression() -> None:
    inside = match(asset("Orbis", "OrbiView Suite", "4.2.7"), "Orbis", "OrbiView Suite 4.2.x")
    assert inside is not None
    assert inside.confidence == "medium"
    assert "version family 4.2.x read from the advisory's product name" in inside.reason
    assert match(asset("Orbis", "OrbiView Suite", "5.0.1"), "Orbis", "OrbiView Suite 4.2.x") is None
    # An empty version branch means the same as `vers:all/*`.
    assert (
        match(asset("Orbis", "OrbiView Suite", "5.0.1"), "Orbis", "OrbiView Suite 4.2.x", "")
        is None
    )


def test_plain_number_at_the_end_of_a_name_is_a_model_not_a_version() -> None:
    # `Optima 520` is a model: any version of the 520 is affected, the 530 is not.
    assert (
        match(asset("GE Healthcare", "Optima 520", "3.1"), "GE Healthcare", "Optima 520")
        is not None
    )
    assert match(asset("GE Healthcare", "Optima 530", "3.1"), "GE Healthcare", "Optima 520") is None


def test_version_written_in_the_inventory_product_is_used_when_the_version_is_empty() -> None:
    found = match(asset("GE Healthcare", "Xeleris 3.1"), "GE Healthcare", "Xeleris 3.1")
    assert found is not None
    assert "version_read_from_name" in codes(found)
    assert match(asset("GE Healthcare", "Xeleris 2.1"), "GE Healthcare", "Xeleris 3.1") is None


# --- 3. exclusions inside the product name --------------------------------------------------------


@pytest.mark.parametrize(
    "advisory",
    [
        "Kestrel monitors, not including Kestrel 20 Lite",
        "Kestrel monitors except Kestrel 20 Lite",
        "Kestrel monitors other than the Kestrel 20 Lite",
        "Kestrel monitors (excluding Kestrel 20 Lite)",
    ],
)
def test_excluded_product_gets_no_match_and_the_others_do(advisory: str) -> None:
    assert match(asset("Vendo", "Kestrel 20 Lite", "1.0"), "Vendo", advisory) is None
    assert match(asset("Vendo", "Moniteur Kestrel 20 Lite", "1.0"), "Vendo", advisory) is None
    other = match(asset("Vendo", "Kestrel 30", "1.0"), "Vendo", advisory)
    assert other is not None
    assert other.confidence == "medium"
    assert "not one of the products it excludes (Kestrel 20 Lite" in other.reason


def test_only_the_head_of_an_exclusion_is_graded() -> None:
    # `Lite` appears only in the excluded part: it is not a word of the affected product.
    assert (
        match(
            asset("Vendo", "Lite", "1.0"),
            "Vendo",
            "Kestrel monitors, not including Kestrel 20 Lite",
        )
        is None
    )


# --- 4. category words the inventory leaves out ---------------------------------------------------


def test_advisory_category_words_left_out_by_the_inventory_match_at_medium() -> None:
    found = match(
        asset("Telvora", "Telvora", "3.0"), "Telvora", "Telvora Dialysis Delivery System", "<= 3.1"
    )
    assert found is not None
    assert (found.confidence, found.product_grade) == ("medium", "category")
    assert "the advisory adds category words: Dialysis, Delivery, System" in found.reason
    imaging = match(asset("Corvia", "Corvex 300", "1.0"), "Corvia", "Imaging Corvex", "<= 2")
    assert imaging is not None
    assert imaging.confidence == "medium"


def test_missing_words_that_are_not_category_nouns_give_low() -> None:
    found = match(asset("Corvia", "Corvex", "1.0"), "Corvia", "Corvex Lumina Edition Plus", "<= 2")
    assert found is not None
    assert (found.confidence, found.product_grade) == ("low", "partial")


def test_inventory_adding_a_product_word_of_its_own_is_another_product() -> None:
    assert (
        match(
            asset("Telvora", "Telvora Nova", "3.0"), "Telvora", "Telvora Dialysis Delivery System"
        )
        is None
    )


def test_french_category_words_of_the_inventory_are_read_in_english() -> None:
    found = match(
        asset("Philips", "Moniteur IntelliVue MX40", "B.06.10"),
        "Philips",
        "IntelliVue MX40 Patient Worn Monitor (WLAN only)",
        "< B.06.18",
    )
    assert found is not None
    assert found.confidence == "medium"


# --- 5. several products in one name --------------------------------------------------------------


def test_products_listed_with_a_slash_are_graded_each() -> None:
    for product in ("Orbis Planner", "FluxLink Gateway"):
        found = match(
            asset("Orbis", product, "1.0"), "Orbis", "Orbis Planner/FluxLink Gateway", "<= 2"
        )
        assert found is not None
        assert found.confidence == "medium"
    fluxlink = match(
        asset("Orbis", "FluxLink Gateway", "1.0"), "Orbis", "Orbis Planner/FluxLink Gateway", "<= 2"
    )
    assert fluxlink is not None
    assert "one of the products the advisory lists together: 'FluxLink Gateway'" in fluxlink.reason


@pytest.mark.parametrize(
    ("advisory", "inventory"),
    [("Siemens PET/CT Systems", "PET"), ("Precision MP/i", "Precision MP")],
)
def test_short_words_around_a_slash_are_one_product(advisory: str, inventory: str) -> None:
    found = match(asset("GE Healthcare", inventory, "1.0"), "GE Healthcare", advisory)
    assert found is None or found.form == "whole"


# --- 6. the product named in the version branch ---------------------------------------------------


def test_product_named_in_the_version_branch_is_matched_for_all_versions() -> None:
    found = match(
        asset("Glyra", "Glyra Check Plus", "4.0"), "Glyra", "Handheld analyzers", "Glyra Check Plus"
    )
    assert found is not None
    assert found.confidence == "medium"
    assert "product named where the advisory puts versions: 'Glyra Check Plus'" in found.reason
    assert (
        match(
            asset("Glyra", "Glyra Check Mini", "4.0"),
            "Glyra",
            "Handheld analyzers",
            "Glyra Check Plus",
        )
        is None
    )


@pytest.mark.parametrize("versions", ["with wireless option", "< april 1, 2018", "on Windows 7"])
def test_conditions_and_dates_in_the_version_branch_are_not_product_names(versions: str) -> None:
    found = match(
        asset("Glyra", "Handheld analyzers", "4.0"), "Glyra", "Handheld analyzers", versions
    )
    assert found is not None
    assert found.form != "product_in_version"
    assert found.confidence == "low"


# --- 7. spelling variants -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inventory", "advisory"),
    [
        ("Nexa WiFi module", "Nexa Wi-Fi module"),
        ("Nexa Wi Fi", "Nexa Wi-Fi module"),
        ("Nexa BluetoothLE", "Nexa Bluetooth-LE"),
        ("Pyxis Med Station", "Pyxis MedStation"),
        ("Orbis Planners", "Orbis Planner"),
        ("Nexa TCU", "Nexa Therapy Control Unit"),
        ("Nexa Therapy Control Unit", "Nexa TCU"),
        ("Alaris PCU", "Alaris Point-of-Care Unit"),
    ],
)
def test_spelling_variants_of_tokens_match(inventory: str, advisory: str) -> None:
    found = match(asset("X Med", inventory, "1.0"), "X Med", advisory, "<= 2")
    assert found is not None
    assert found.confidence == "medium"


def test_two_letter_acronyms_are_never_expanded() -> None:
    assert match(asset("X Med", "Nexa CU", "1.0"), "X Med", "Nexa Control Unit Pro", "<= 2") is None


# --- 8. parenthesised qualifiers in the inventory -------------------------------------------------


def test_parenthesised_qualifier_may_satisfy_an_advisory_word() -> None:
    found = match(
        asset("Vitara Health", "Vitara app (iOS)", "1.0"), "Vitara Health", "Vitara iOS app", "<= 2"
    )
    assert found is not None
    assert found.confidence == "medium"


def test_parenthesised_qualifier_blocks_a_conflicting_word() -> None:
    assert (
        match(
            asset("Vitara Health", "Vitara app (iOS)", "1.0"),
            "Vitara Health",
            "Vitara Android app",
            "<= 2",
        )
        is None
    )


def test_parenthesised_qualifier_is_not_required_by_a_plainer_advisory_name() -> None:
    found = match(
        asset("Vitara Health", "Vitara app (iOS)", "1.0"), "Vitara Health", "Vitara", "<= 2"
    )
    assert found is not None
    assert found.confidence == "medium"


# --- 9. tagged versions ---------------------------------------------------------------------------


def test_tag_is_compared_as_a_tag_and_the_number_as_a_version() -> None:
    same = match(asset("Orbis", "Orion", "FWX 3.1"), "Orbis", "Orion", "FWX version 3.1")
    assert same is not None
    assert (same.confidence, same.version_decided) == ("medium", True)
    assert match(asset("Orbis", "Orion", "FWX 3.2"), "Orbis", "Orion", "FWX version 3.1") is None


@pytest.mark.parametrize("version", ["SW 2.4", "Rel. 2.4", "v2.4", "Version 2.4"])
def test_generic_version_words_are_not_tags(version: str) -> None:
    found = match(asset("Orbis", "Orion", version), "Orbis", "Orion", "<= 2.4")
    assert found is not None
    assert (found.confidence, found.version_decided) == ("medium", True)


@pytest.mark.parametrize("version", ["SR7.2", "R7", "Build 4567"])
def test_letter_prefixed_version_is_undecided_against_untagged_bounds(version: str) -> None:
    # Sorted as a plain version these fall below every number, so inside every upper bound.
    found = match(
        asset("BD", "Alaris 8015 PC Unit", version), "BD", "Alaris 8015 PC Unit", "<= 9.33"
    )
    assert found is not None
    assert (found.confidence, found.version_decided) == ("low", False)
    assert "carries the tag" in found.reason


# --- 10. model-number stems -----------------------------------------------------------------------


def test_model_number_stem_matches_with_a_shared_word_at_medium() -> None:
    found = match(asset("Qzen", "Kestrel QZ40", "1.0"), "Qzen", "Kestrel QZ", "<= 2")
    assert found is not None
    assert found.confidence == "medium"
    assert "model QZ40 has the stem QZ" in found.reason


def test_two_letter_stem_alone_is_low() -> None:
    found = match(asset("Qzen", "QZ40", "1.0"), "Qzen", "QZ", "<= 2")
    assert found is not None
    assert found.confidence == "low"


def test_model_numbers_written_apart_or_joined_are_one_model() -> None:
    for written in ("MMT-1715", "MMT1715", "mmt 1715"):
        found = match(
            asset("Medtronic", f"MiniMed 630G {written}", "4.1"),
            "Medtronic",
            "MiniMed 630G",
            "MMT-1715 | MMT-1754",
        )
        assert found is not None
        assert found.confidence == "medium"


def test_model_inside_a_model_range_of_the_advisory() -> None:
    found = match(
        asset("Philips", "IntelliVue MX450", "K"),
        "Philips",
        "IntelliVue patient monitor MX400-MX850",
        "<=N",
    )
    assert found is not None
    assert found.confidence == "medium"
    assert (
        match(
            asset("Philips", "IntelliVue MX900", "K"),
            "Philips",
            "IntelliVue patient monitor MX400-MX850",
            "<=N",
        )
        is None
    )


# --- precision traps ------------------------------------------------------------------------------


def test_words_and_numbers_of_the_name_column_do_not_count_when_product_is_given() -> None:
    inventory = asset("BD", "Alaris PC Unit", "9.19", name="Pompe Réa - n° inventaire 8015")
    found = match(inventory, "BD", "Alaris 8015 PC unit", "<= 9.33")
    assert found is not None
    assert found.confidence == "low"  # 8015 is the inventory number, not the model
    assert "model 8015 not stated in the inventory" in found.reason


def test_one_shared_number_and_one_shared_word_are_not_the_same_product() -> None:
    assert (
        match(
            asset("Acme", "Infusion Pump 3000", "1.0"), "Acme", "Infusion Controller 3000", "<= 2"
        )
        is None
    )
    assert (
        match(asset("Acme", "Kestrel Pump 3000", "1.0"), "Acme", "Kestrel Controller 3000", "<= 2")
        is None
    )


def test_generic_one_word_advisory_product_does_not_alert_every_product_with_the_word() -> None:
    assert (
        match(asset("Acme", "Alaris Gateway Workstation", "1.0"), "Acme", "Gateway", "<= 2") is None
    )
    same = match(asset("Acme", "Gateway", "1.0"), "Acme", "Gateway", "<= 2")
    assert same is not None
    assert same.confidence == "medium"


def test_asset_without_a_model_number_does_not_take_a_model_specific_advisory_at_medium() -> None:
    found = match(asset("Acme", "Kestrel monitor", "1.0"), "Acme", "Kestrel QZ40 monitor", "<= 2")
    assert found is not None
    assert found.confidence == "low"


def test_asset_with_another_model_number_does_not_match() -> None:
    assert (
        match(asset("Acme", "Kestrel QZ50 monitor", "1.0"), "Acme", "Kestrel QZ40 monitor", "<= 2")
        is None
    )


def test_asset_without_a_version_against_a_bounded_range_is_low() -> None:
    found = match(asset("Acme", "Kestrel QZ40", ""), "Acme", "Kestrel QZ40", "<= 2")
    assert found is not None
    assert found.confidence == "low"
    unbounded = match(asset("Acme", "Kestrel QZ40", ""), "Acme", "Kestrel QZ40", "vers:all/*")
    assert unbounded is not None
    assert unbounded.confidence == "medium"


@pytest.mark.parametrize(
    "vendor", ["BD", "Becton Dickinson", "CareFusion", "Becton, Dickinson and Company"]
)
def test_name_matching_is_never_high_whatever_the_alias(vendor: str) -> None:
    found = match(
        asset(vendor, "Alaris 8015 PC unit", "9.19"),
        "Becton, Dickinson and Company (BD)",
        "Alaris 8015 PC unit",
        "<= 9.33",
    )
    assert found is not None
    assert found.confidence == "medium"


def test_reasons_are_codes_with_parameters_rendered_in_english() -> None:
    found = match(
        asset("BD", "Alaris 8015 PC unit", "9.19"), "BD", "Alaris 8015 PC unit", "<= 9.33"
    )
    assert found is not None
    assert found.reasons == (
        ("vendor_same", {"asset": "BD", "advisory": "BD"}),
        ("product", {"asset": "Alaris 8015 PC unit", "advisory": "Alaris 8015 PC unit"}),
        ("product_same", {}),
        ("version_within", {"version": "9.19", "range": "<= 9.33"}),
    )
    assert (
        found.reason
        == "vendor BD; product 'Alaris 8015 PC unit' matches 'Alaris 8015 PC unit' (same product); "
        "version 9.19 within <= 9.33"
    )


# --- one advisory's products tell its devices apart -----------------------------------------------


def _advisory(*products: tuple[str, str]) -> VulnRecord:
    vendor = "General Electric (GE)"
    return VulnRecord(
        id="CVE-2020-6961",
        source="csaf:ICSMA-20-023-01",
        named_products=tuple(NamedProduct(vendor, p, v) for p, v in products),
        document_products=tuple((vendor, p) for p, _ in products),
    )


def test_asset_that_is_another_product_of_the_advisory_is_not_this_one() -> None:
    record = _advisory(("B450", "2.X"), ("CARESCAPE Telemetry Server", "<= 4.2"))
    fixed_b450 = asset("GE Healthcare", "CARESCAPE B450", "3.0")
    assert match_records([record], [fixed_b450]) == []
    affected = asset("GE Healthcare", "CARESCAPE B450", "2.1")
    [found] = match_records([record], [affected])
    assert found.criterion == "General Electric (GE) B450"


def test_another_model_of_a_series_the_advisory_lists_model_by_model_is_not_taken() -> None:
    record = _advisory(("B450", "2.X"), ("B650", "2.X"), ("CARESCAPE Central Station", "2.X"))
    assert match_records([record], [asset("GE Healthcare", "CARESCAPE B40", "2.0")]) == []


# --- versions as device makers write them ---------------------------------------------------------


def test_region_coded_release_numbers_compare_with_the_advisory_short_form() -> None:
    # B. Braun writes `012U000040`; its advisories write the same release `U40`.
    fixed = match(
        asset("B. Braun", "SpaceCom", "012U000093"),
        "B. Braun Medical",
        "SpaceCom",
        "<= U61 |<= L81",
    )
    assert fixed is None
    affected = match(
        asset("B. Braun", "SpaceCom", "012U000035"),
        "B. Braun Medical",
        "SpaceCom",
        "<= U61 |<= L81",
    )
    assert affected is not None
    assert affected.version_decided


def test_revision_letter_ranges_take_the_revision_of_a_full_version() -> None:
    inside = match(
        asset("Philips", "IntelliVue MX450", "M.04"), "Philips", "IntelliVue MX450", "Rev J-M"
    )
    assert inside is not None
    assert inside.version_decided
    assert (
        match(
            asset("Philips", "IntelliVue MX450", "N.01"), "Philips", "IntelliVue MX450", "Rev J-M"
        )
        is None
    )


def test_a_bare_major_version_of_the_advisory_takes_its_line_at_low() -> None:
    found = match(
        asset("Natus", "Xltek NeuroWorks", "8.4"),
        "Natus Medical, Inc. (Natus)",
        "Natus Xltek NeuroWorks",
        "8",
    )
    assert found is not None
    assert found.confidence == "low"
    assert "the advisory gives the major version only" in found.reason
    assert (
        match(
            asset("Natus", "Xltek NeuroWorks", "9.1"),
            "Natus Medical, Inc. (Natus)",
            "Natus Xltek NeuroWorks",
            "8",
        )
        is None
    )


def test_version_listed_among_part_numbers_is_decided() -> None:
    versions = "053L000091 (global) / 054U000091 (U.S.) and 053L000092 (global) / 054U000092 (U.S.)"
    found = match(
        asset("B. Braun", "Battery pack SP with WIFI", "053L000092"),
        "B. Braun Melsungen AG",
        "Battery pack SP with WIFI",
        versions,
    )
    assert found is not None
    assert (found.confidence, found.version_decided) == ("medium", True)


def test_tag_that_is_the_product_name_itself_is_left_out_by_inventories() -> None:
    advisory = ("Silex Technology and GE Healthcare", "GEH-SD-320AN", "<= GEH-1.1")
    assert match(asset("GE Healthcare", "GEH-SD-320AN", "1.14"), *advisory) is None
    found = match(asset("GE Healthcare", "GEH-SD-320AN", "1.0"), *advisory)
    assert found is not None
    assert found.version_decided


# --- names as inventories write them --------------------------------------------------------------


def test_french_compound_category_words_are_read_word_by_word() -> None:
    found = match(
        asset("Smiths Medical", "Pousse-seringue Medfusion 4000", "1.5"),
        "Smiths Medical",
        "Medfusion 4000 Wireless Syringe Infusion Pump",
        "1.5",
    )
    assert found is not None
    assert found.confidence == "medium"


@pytest.mark.parametrize(
    ("vendor", "product", "advisory_vendor", "advisory_product", "confidence"),
    [
        (
            "LifePoint",
            "LifePoint Patient Portal",
            "LifePoint Informatics",
            "Patient Portal",
            "medium",
        ),
        ("Orthanc", "Osimis Web Viewer", "Orthanc", "Osimis WebViewer", "medium"),
        # Only `T1` in common, shorter than the four letters medium asks for.
        ("Hamilton Medical", "HAMILTON-T1", "Hamilton Medical AG", "T1 Ventilator", "low"),
    ],
)
def test_the_vendor_written_into_the_product_name_is_not_a_product_word(
    vendor: str, product: str, advisory_vendor: str, advisory_product: str, confidence: str
) -> None:
    found = match(asset(vendor, product, "1.0"), advisory_vendor, advisory_product, "<= 3")
    assert found is not None
    assert found.confidence == confidence


def test_the_vendor_name_alone_in_common_is_no_match() -> None:
    assert (
        match(
            asset("GE Healthcare", "GEH-SD-320AN", "1.1"),
            "GE Healthcare",
            "GE Imaging and Ultrasound Products",
        )
        is None
    )


def test_short_name_in_parentheses_is_another_name_of_the_product() -> None:
    found = match(
        asset("GE", "CSCS", "2.1"),
        "General Electric (GE)",
        "CARESCAPE Central Station (CSCS)",
        "2.X",
    )
    assert found is not None
    assert found.confidence == "medium"
    other_model = asset("BD", "Alaris PC Unit 8000", "4.3")
    assert (
        match(other_model, "BD", "BD Alaris Point-of-Care Unit (PCU) Model 8015", "<=12.1.3")
        is None
    )


def test_models_and_a_product_listed_together_in_the_version_branch() -> None:
    versions = "7100 | 7900 | 100 | Protiva Carestation View"
    model = match(
        asset("GE Healthcare", "Aespire 7900", "4.5"),
        "General Electric (GE)",
        "GE Aespire",
        versions,
    )
    assert model is not None
    assert "advisory lists model 7900" in model.reason
    named = match(
        asset("GE Healthcare", "Protiva Carestation View", "1.0"),
        "General Electric (GE)",
        "GE Aespire",
        versions,
    )
    assert named is not None
    assert named.form == "product_in_version"


def test_a_platform_in_the_version_branch_is_a_condition_not_a_product() -> None:
    versions = "Windows 10 Professional Operating System U.S. release"
    found = match(
        asset("BD", "FACSLyric IVD", "1.2"),
        "Becton, Dickinson and Company (BD)",
        "FACSLyric IVD",
        versions,
    )
    assert found is not None
    assert found.form == "whole"
    assert found.confidence == "low"


def test_a_doubled_letter_in_a_long_product_word_is_the_same_word() -> None:
    found = match(asset("GE Healthcare", "Millennium VG", "1.0"), "GE Healthcare", "Millenium VG")
    assert found is not None
    assert "Millennium read as Millenium" in found.reason


def test_a_bare_number_is_the_model_with_a_short_imaging_prefix() -> None:
    found = match(asset("GE Healthcare", "Optima 520", "12.3"), "GE Healthcare", "Optima CT520")
    assert found is not None
    assert found.confidence == "medium"


def test_tag_that_is_the_vendor_initials_is_left_out_by_inventories() -> None:
    advisory = ("LifePoint Informatics", "Patient Portal", "LPI 3.5.12.P30")
    found = match(asset("LifePoint", "Patient Portal", "3.5.12.P30"), *advisory)
    assert found is not None
    assert found.version_decided

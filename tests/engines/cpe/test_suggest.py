"""CPE vendor:product suggestions for assets without CPE."""

from __future__ import annotations

from vigie.engines.cpe.suggest import CpeDictionary, default_dictionary, suggest_cpes


def top(vendor: str, product: str, name: str = "") -> str:
    candidates = suggest_cpes(vendor, product, name)
    assert candidates, (vendor, product, name)
    return f"{candidates[0].vendor}:{candidates[0].product}"


def test_shipped_dictionary_holds_the_purl2cpe_pairs_and_feed_names() -> None:
    dictionary = default_dictionary()
    assert len(dictionary) > 30_000
    assert dictionary.vendors_for(["openssl", "gehealthcare", "santesoft", "microsoft"]) == [
        "openssl",
        "gehealthcare",
        "santesoft",
        "microsoft",
    ]


def test_examples_from_open_source_and_operating_systems() -> None:
    assert top("", "OpenSSL") == "openssl:openssl"
    assert top("", "Microsoft Windows 10") == "microsoft:windows_10"
    assert top("Microsoft", "Windows 10") == "microsoft:windows_10"
    assert top("OFFIS", "DCMTK") == "offis:dcmtk"
    assert top("Apache", "Tomcat") == "apache:tomcat"


def test_medical_vendor_alias_and_vendor_word_in_the_product() -> None:
    assert top("Santesoft", "Sante DICOM Viewer Pro") == "santesoft:dicom_viewer_pro"
    assert top("", "", "PC radiologie MicroDicom DICOM Viewer") == "microdicom:dicom_viewer"


def test_product_missing_from_the_dictionary_is_built_the_nvd_way_and_marked() -> None:
    [candidate] = suggest_cpes("Philips", "IntelliSpace Portal")
    assert (candidate.vendor, candidate.product) == ("philips", "intellispace_portal")
    assert not candidate.in_dictionary
    assert "not in the dictionary" in candidate.why
    assert candidate.cpe == "cpe:2.3:a:philips:intellispace_portal:*:*:*:*:*:*:*:*"


def test_candidates_are_ranked_with_scores_and_reasons() -> None:
    candidates = suggest_cpes("Microsoft", "Windows 10", limit=3)
    assert candidates[0].product == "windows_10"
    assert candidates[0].score > candidates[1].score
    assert candidates[0].why == "same vendor; same product name"
    assert candidates[0].part == "o"


def test_pairs_added_at_runtime_are_suggested() -> None:
    dictionary = CpeDictionary()
    dictionary.add("bd", "alaris_8015_pc_unit_firmware", "o")
    found = suggest_cpes(
        "Becton, Dickinson and Company", "Alaris 8015 PC Unit", dictionary=dictionary
    )
    assert found[0].vendor == "bd"
    assert found[0].product == "alaris_8015_pc_unit_firmware"
    assert found[0].in_dictionary


def test_nothing_to_go_on_gives_no_candidate() -> None:
    assert suggest_cpes("", "Portail patient") == []

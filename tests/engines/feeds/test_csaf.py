"""CSAF 2.0 advisories -> VulnRecord per vulnerability, VEX statements, precise errors."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from vigie.engines.feeds import load_feed_file, load_feeds, parse_csaf
from vigie.engines.feeds.common import Problems
from vigie.engines.records import NamedProduct, PackageRange, VexStatement, VulnRecord

CSAF = Path(__file__).resolve().parents[2] / "data" / "feeds" / "csaf"
ICSMA = CSAF / "cisa-icsma"
EXAMPLES = CSAF / "oasis" / "examples" / "csaf"
VALIDATOR = CSAF / "oasis" / "validator"


def _advisory(name: str) -> list[VulnRecord]:
    content = load_feed_file(ICSMA / f"{name}.json.gz")
    assert content.errors == []
    return content.vulns


def _doc(path: Path) -> dict[str, Any]:
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    result: dict[str, Any] = json.loads(data)
    return result


def test_all_medical_advisories_parse_without_errors() -> None:
    content = load_feeds([ICSMA])
    assert len(list(ICSMA.iterdir())) == 104
    assert content.errors == []
    assert len({v.source for v in content.vulns}) == 104
    assert len(content.vulns) == 320
    assert len({v.id for v in content.vulns}) == 317  # three CVEs are in two advisories
    assert all(v.source.startswith("csaf:ICSMA-") for v in content.vulns)
    # No ICS-Medical advisory gives a CPE or purl: everything is matched by names.
    assert all(not v.configurations and not v.packages for v in content.vulns)
    assert sum(len(v.named_products) for v in content.vulns) == 1273


def test_bd_alaris_products_and_versions_are_extracted() -> None:
    vulns = _advisory("icsma-23-194-01")
    assert len(vulns) == 8
    first = vulns[0]
    assert (first.id, first.source) == ("CVE-2023-30559", "csaf:ICSMA-23-194-01")
    assert (
        NamedProduct(
            vendor="Becton, Dickinson and Company (BD)",
            product="BD Alaris Systems Manager",
            versions="<=12.3",
            status="affected",
            product_id="CSAFPID-0003",
        )
        in first.named_products
    )
    assert first.cwes == ("CWE-20",)
    assert [(s.version, s.base_score) for s in first.cvss] == [("3.0", 5.2)]


def test_medtronic_all_versions_and_philips_version_lists_stay_verbatim() -> None:
    medtronic = _advisory("icsma-18-179-01")[0]
    assert {(n.product, n.versions) for n in medtronic.named_products} == {
        ("24952 MyCareLink Monitor", "vers:all/*"),
        ("24950 MyCareLink Monitor", "vers:all/*"),
    }
    philips = _advisory("icsma-17-229-01")[0]
    assert [(n.vendor, n.product, n.versions) for n in philips.named_products] == [
        ("Philips", "DoseWise Portal", "1.1.7.333 | 2.1.1.3069")
    ]


def test_baxter_range_score_summary_and_remediation() -> None:
    [vuln] = _advisory("icsma-24-151-01")
    assert vuln.id == "CVE-2024-5176"
    assert vuln.named_products == (
        NamedProduct(
            vendor="Baxter",
            product="Welch Allyn Product Configuration Tool",
            versions="<=1.9.4.1",
            status="affected",
            product_id="CSAFPID-0001",
        ),
    )
    assert vuln.description.startswith("Any credentials that were used for authentication")
    assert vuln.cvss[0].vector == "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:L"
    assert "vendor_fix: Welch Allyn Product Configuration Tool versions 1.9.4.2" in vuln.remediation
    assert vuln.url == (
        "https://raw.githubusercontent.com/cisagov/CSAF/develop/csaf_files/OT/"
        "white/2024/icsma-24-151-01.json"
    )  # the document's `self` reference


def test_model_numbers_come_from_the_identification_helper() -> None:
    [vuln] = load_feed_file(CSAF / "cisa-icsa-2024" / "icsa-24-011-08.json").vulns
    first = vuln.named_products[0]
    assert (first.product, first.versions, first.model_numbers) == (
        "CP-8031 MASTER MODULE (6MF2803-1AA00)",
        "All versions < CPCI85 V05.20",
        ("6MF2803-1AA00",),
    )


def test_fixed_products_give_named_products_and_vex_statements() -> None:
    content = load_feed_file(CSAF / "cisa-icsa-2024" / "icsa-24-289-02.json")
    vuln = content.vulns[0]
    assert (
        NamedProduct("Schneider Electric", "Data Center Expert", "8.2", "fixed", "CSAFPID-0002")
        in vuln.named_products
    )
    assert (
        VexStatement(
            vuln.id,
            "fixed",
            "Schneider Electric|Data Center Expert|8.2",
            source="csaf:ICSA-24-289-02",
        )
        in content.vex
    )


def test_installed_on_relationships_keep_the_device_as_model_number() -> None:
    content = load_feed_file(CSAF / "cisa-icsa-2024" / "icsa-24-235-03.json.gz")
    assert content.errors == []
    [vuln] = content.vulns
    by_id = {n.product_id: n for n in vuln.named_products}
    # "Mobotix P3 Firmware MX-V4.0.1.15 installed on Mobotix P3 D24M", flagged not affected
    assert by_id["CSAFPID-0109"] == NamedProduct(
        "Mobotix", "P3 Firmware", "MX-V4.0.1.15", "not_affected", "CSAFPID-0109", ("D24M",)
    )
    statement = next(s for s in content.vex if s.product == "Mobotix|P3 Firmware|MX-V4.0.1.15")
    assert (statement.status, statement.justification) == (
        "not_affected",
        "vulnerable_code_not_present",
    )
    assert len(content.vex) == len(set(content.vex))


def test_cpe_helpers_become_an_nvd_configuration_in_cpe_23_form() -> None:
    content = load_feed_file(EXAMPLES / "bsi-2022-0001.json")
    [vuln] = content.vulns
    criteria = vuln.configurations[0]["nodes"][0]["cpeMatch"]
    assert criteria[0] == {
        "criteria": "cpe:2.3:a:csaf-tools:cvrf-csaf-converter:1.0.0-alpha:*:*:*:*:*:*:*",
        "vulnerable": True,
    }
    assert len(criteria) == 5  # the five known_affected versions, not the fixed one
    assert vuln.aliases == ("csaf-tools/CVRF-CSAF-Converter#78",)
    assert content.vex == [
        VexStatement(
            "CVE-2022-27193",
            "fixed",
            "cpe:2.3:a:csaf-tools:cvrf-csaf-converter:1.0.0-rc2:*:*:*:*:*:*:*",
            source="csaf:BSI-2022-0001",
        )
    ]


def test_purl_helpers_become_package_ranges() -> None:
    # The BSI example with its CPE helpers exchanged for purls (no real CSAF file here has one).
    doc = _doc(EXAMPLES / "bsi-2022-0001.json")
    versions = doc["product_tree"]["branches"][0]["branches"][0]["branches"]
    for branch in versions:
        helper = branch["product"]["product_identification_helper"]
        helper.pop("cpe")
        helper["purl"] = f"pkg:pypi/cvrf-csaf-converter@{branch['name']}"
    result = parse_csaf(doc, Problems("bsi-purl.json"))
    vuln = result.vulns[0]
    assert vuln.configurations == []
    assert (
        PackageRange(
            "pkg:pypi/cvrf-csaf-converter", "vers:pypi/1.0.0-alpha", "affected", "CSAFPID-0001"
        )
        in vuln.packages
    )
    assert (
        PackageRange("pkg:pypi/cvrf-csaf-converter", "vers:pypi/1.0.0-rc2", "fixed", "CSAFPID-0006")
        in vuln.packages
    )


def test_relationship_of_two_cpe_products_gives_an_and_configuration() -> None:
    doc = _doc(EXAMPLES / "bsi-2022-0001.json")
    doc["product_tree"]["full_product_names"] = [
        {
            "name": "Debian 12",
            "product_id": "DEB12",
            "product_identification_helper": {
                "cpe": "cpe:2.3:o:debian:debian_linux:12:*:*:*:*:*:*:*"
            },
        }
    ]
    doc["product_tree"]["relationships"] = [
        {
            "category": "installed_on",
            "product_reference": "CSAFPID-0001",
            "relates_to_product_reference": "DEB12",
            "full_product_name": {"name": "converter on Debian", "product_id": "REL-1"},
        }
    ]
    doc["vulnerabilities"][0]["product_status"] = {"known_affected": ["REL-1"]}
    [vuln] = parse_csaf(doc, Problems("rel.json")).vulns
    [config] = vuln.configurations
    assert config["operator"] == "AND"
    assert config["nodes"][1]["cpeMatch"] == [
        {"criteria": "cpe:2.3:o:debian:debian_linux:12:*:*:*:*:*:*:*", "vulnerable": False}
    ]


def test_csaf_vex_profile_statuses_and_justifications() -> None:
    content = load_feed_file(EXAMPLES / "csaf_vex" / "sec-vex-2022-0001.json")
    assert [s.vulnerability for s in content.vex] == [
        "CVE-2021-44228",
        "CVE-2021-45046",
        "CVE-2021-45105",
    ]
    assert {(s.status, s.justification, s.product) for s in content.vex} == {
        ("not_affected", "component_not_present", "Secvisogram|Secvisogram|vers:generic/<=1.14.0")
    }


def test_impact_threat_justifies_not_affected_without_flag() -> None:
    content = load_feed_file(EXAMPLES / "csaf_vex" / "2022-evd-uc-09-001.json")
    statement = next(s for s in content.vex if s.status == "not_affected")
    assert statement.justification == "These products do not use Java at all."
    assert statement.product == "Example Company|PROD_ALPHA|"


def test_service_pack_branch_gives_the_most_specific_version() -> None:
    [vuln] = load_feed_file(EXAMPLES / "cisco-sa-20180328-smi2.json").vulns
    assert (
        NamedProduct("Cisco", "IOS", "12.2(55)SE", "affected", "CVRFPID-103763")
        in vuln.named_products
    )


def test_every_example_and_validator_document_parses_without_exception() -> None:
    content = load_feeds([CSAF / "oasis"])
    assert len(content.vulns) > 100
    assert all(e.file.endswith(".json") for e in content.errors)


@pytest.mark.parametrize(
    ("test_id", "message"),
    [
        ("6-1-01-01", "is not defined in the product_tree"),
        ("6-1-02-01", "is defined more than once"),
        ("6-1-03-01", "circular definition"),
        ("6-1-04-01", "product group id 'CSAFGID-1020301' is not defined"),
        ("6-1-05-01", "product group id 'CSAFGID-1020300' is defined more than once"),
        ("6-1-06-01", "is both affected and not_affected"),
        ("6-1-08-03", "CVSS object lacks version"),
        ("6-1-09-01", "differs from 6.5 computed from the vector"),
        ("6-1-13-01", "invalid purl 'pkg:maven/@1.3.4'"),
    ],
)
def test_validator_failures_are_reported_with_a_json_path(test_id: str, message: str) -> None:
    content = load_feed_file(
        VALIDATOR / "mandatory" / f"oasis_csaf_tc-csaf_2_0-2021-{test_id}.json"
    )
    matching = [e for e in content.errors if message in e.message]
    assert matching, [str(e) for e in content.errors]
    assert all(e.field and e.field.startswith("/") for e in matching)


def test_validator_valid_documents_give_no_errors() -> None:
    cases = json.loads((VALIDATOR / "testcases.json").read_text())["tests"]
    valid = [
        item["name"]
        for case in cases
        if case["group"] == "mandatory"
        for item in case.get("valid", [])
    ]
    assert len(valid) > 50
    errors = [str(e) for name in valid for e in load_feed_file(VALIDATOR / name).errors]
    assert errors == []


def _mutations(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if path else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _mutations(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value[:2]):
            found += _mutations(child, (*path, index))
    return found


def test_wrong_types_anywhere_are_reported_never_raised() -> None:
    doc = _doc(EXAMPLES / "csaf_vex" / "2022-evd-uc-08-001.json")
    replacements: list[Any] = [None, 7, "text", [], {}, [1], True]
    for path in _mutations(doc):
        for replacement in replacements:
            broken = copy.deepcopy(doc)
            target = broken
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = replacement
            parse_csaf(broken, Problems("mutated.json"))  # must not raise


def test_wrong_type_is_named_by_file_and_json_path(tmp_path: Path) -> None:
    doc = _doc(ICSMA / "icsma-24-151-01.json.gz")
    doc["vulnerabilities"][0]["product_status"]["known_affected"] = "CSAFPID-0001"
    doc["product_tree"]["branches"][0]["branches"][0]["name"] = 12
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(doc))
    content = load_feed_file(path)
    assert {(e.field, e.record) for e in content.errors} == {
        ("/product_tree/branches/0/branches/0/name", None),
        ("/vulnerabilities/0/product_status/known_affected", "CVE-2024-5176"),
    }
    assert all(e.file == str(path) for e in content.errors)

"""Matches say why they matched as (code, params) parts, and their English is those parts
rendered by engines/reason_text.py: the platform renders the same parts in other languages."""

from __future__ import annotations

from vigie.engines.matching import match_records
from vigie.engines.reason_text import MESSAGES, render_reasons
from vigie.engines.records import AssetRecord, Match, NamedProduct, PackageRange, VulnRecord

HTTPD = "cpe:2.3:a:apache:http_server:*:*:*:*:*:*:*:*"


def only(matches: list[Match]) -> Match:
    assert len(matches) == 1, matches
    return matches[0]


def test_a_cpe_range_match_carries_the_criterion_bounds_and_installed_version() -> None:
    vuln = VulnRecord(
        id="CVE-2024-38476",
        source="nvd",
        configurations=[
            {
                "nodes": [
                    {
                        "operator": "OR",
                        "cpeMatch": [
                            {
                                "vulnerable": True,
                                "criteria": HTTPD,
                                "versionStartIncluding": "2.4.0",
                                "versionEndIncluding": "2.4.59",
                            }
                        ],
                    }
                ]
            }
        ],
    )
    web = AssetRecord(
        id="web-1", name="Portail", cpes=("cpe:2.3:a:apache:http_server:2.4.58:*:*:*:*:*:*:*",)
    )
    found = only(match_records([vuln], [web]))
    assert found.reasons == (
        (
            "cpe_versions_from_to",
            {
                "criterion": HTTPD,
                "start": "2.4.0",
                "start_incl": True,
                "end": "2.4.59",
                "end_incl": True,
            },
        ),
        ("cpe_installed", {"version": "2.4.58"}),
    )
    assert found.reason == (
        f"{HTTPD} versions from 2.4.0 (incl.) to 2.4.59 (incl.); installed 2.4.58"
    )
    assert render_reasons(found.reasons) == found.reason


def test_a_cpe_match_with_an_unknown_attribute_carries_the_relaxation_as_a_part() -> None:
    criterion = "cpe:2.3:a:acme:pacs:*:*:*:*:*:linux:*:*"
    vuln = VulnRecord(
        id="CVE-2025-0001",
        source="nvd",
        configurations=[
            {
                "nodes": [
                    {
                        "operator": "OR",
                        "cpeMatch": [
                            {"vulnerable": True, "criteria": criterion, "versionEndExcluding": "5"}
                        ],
                    }
                ]
            }
        ],
    )
    pacs = AssetRecord(id="p", name="PACS", cpes=("cpe:2.3:a:acme:pacs:4.2:*:*:*:*:*:*:*",))
    found = only(match_records([vuln], [pacs]))
    assert found.confidence == "medium"
    assert [code for code, _params in found.reasons] == [
        "cpe_versions_up_to",
        "cpe_installed",
        "cpe_attribute_not_given",
    ]
    assert found.reasons[2][1] == {"attribute": "target_sw", "value": "linux"}
    assert render_reasons(found.reasons) == found.reason


def test_a_purl_range_match_carries_the_package_version_and_range() -> None:
    vuln = VulnRecord(
        id="CVE-2025-0002",
        source="cve5",
        packages=(PackageRange("pkg:pypi/pydicom", "vers:pypi/>=2.0|<2.4.2"),),
    )
    lib = AssetRecord(id="lib", name="pydicom", kind="library", purls=("pkg:pypi/pydicom@2.3.0",))
    found = only(match_records([vuln], [lib]))
    assert found.reasons == (
        (
            "package_version_within",
            {
                "package": "pkg:pypi/pydicom",
                "inventory": "pkg:pypi/pydicom@2.3.0",
                "version": "2.3.0",
                "range": found.version_range,
            },
        ),
    )
    assert found.reason.startswith("package pkg:pypi/pydicom (inventory pkg:pypi/pydicom@2.3.0)")
    assert render_reasons(found.reasons) == found.reason


def test_a_device_name_match_carries_the_vendor_alias_used_and_the_rules_applied() -> None:
    vuln = VulnRecord(
        id="CVE-2025-0003",
        source="csaf:icsma-25-001-01",
        named_products=(
            NamedProduct("Becton, Dickinson and Company (BD)", "Alaris 8015 PC Unit", "<= 9.33.1"),
        ),
    )
    pump = AssetRecord(
        id="pump-7",
        name="Pompe",
        vendor="CareFusion",
        product="Alaris 8015 PC Unit",
        version="9.19",
    )
    found = only(match_records([vuln], [pump]))
    codes = [code for code, _params in found.reasons]
    assert codes[0] == "vendor_alias"
    assert found.reasons[0][1] == {
        "asset": "CareFusion",
        "advisory": "Becton, Dickinson and Company (BD)",
    }
    assert "product" in codes
    assert ("version_within", {"version": "9.19", "range": "<= 9.33.1"}) in found.reasons
    assert render_reasons(found.reasons) == found.reason
    assert set(codes) <= set(MESSAGES)

"""CycloneDX VEX and OpenVEX documents -> VexStatement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vigie.engines.feeds import load_feed_file, load_feeds
from vigie.engines.records import VexStatement

DATA = Path(__file__).resolve().parents[2] / "data" / "feeds"
CDX = DATA / "vex" / "cyclonedx"
CISA_CASE_1 = CDX / "CISA-Use-Cases" / "Case-1"


@pytest.mark.parametrize(
    ("name", "status", "product", "justification"),
    [
        ("vex-affected.json", "affected", "|DEF|1.0", ""),
        ("vex-fixed.json", "fixed", "|DEF|1.1", ""),
        ("vex-not_affected.json", "not_affected", "|ABC|4.2", "code_not_present"),
        ("vex-under_investigation.json", "under_investigation", "|GHI|17.4", ""),
    ],
)
def test_analysis_states_map_to_vex_statuses(
    name: str, status: str, product: str, justification: str
) -> None:
    content = load_feed_file(CISA_CASE_1 / name)
    assert content.errors == []
    assert content.vex == [
        VexStatement("CVE-2021-44228", status, product, justification, "cyclonedx")
    ]


def test_per_version_status_overrides_the_analysis_state() -> None:
    content = load_feed_file(CDX / "CISA-Use-Cases" / "Case-8" / "vex.json")
    assert content.errors == []
    abc = [s for s in content.vex if "product-ABC" in s.product and s.status == "not_affected"]
    assert {s.product.rsplit("|", 1)[-1] for s in abc} >= {"2.5", "4.2"}
    # a range keeps its vers string whole after the second `|` of the triple
    ranges = [s.product.split("|", 2)[2] for s in content.vex if "vers:" in s.product]
    assert "vers:generic/>=2.9|<=4.1" in ranges


def test_bom_link_to_another_document_is_kept_as_written() -> None:
    content = load_feed_file(CDX / "Use-Cases" / "Case-13" / "vex.json")
    assert content.vex[0].product == "urn:cdx:2c385cf7-e1ee-46e9-a51c-13de1ecb380a/1#acme-product-1"


def test_statement_without_affects_applies_to_the_supplier() -> None:
    content = load_feed_file(CDX / "Use-Cases" / "Case-7" / "vex.json")
    assert content.vex == [
        VexStatement(
            "CVE-2020-25649", "not_affected", "Acme, Inc.||", "code_not_reachable", "cyclonedx"
        )
    ]


def test_ref_resolving_to_a_component_names_its_purl(tmp_path: Path) -> None:
    doc = json.loads((CISA_CASE_1 / "vex-not_affected.json").read_text())
    doc["serialNumber"] = "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"
    doc["metadata"]["component"]["purl"] = "pkg:generic/acme/abc@4.2"
    doc["vulnerabilities"][0]["affects"] = [
        {"ref": "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#product-ABC"}
    ]
    path = tmp_path / "vex.json"
    path.write_text(json.dumps(doc))
    [statement] = load_feed_file(path).vex
    assert statement.product == "pkg:generic/acme/abc@4.2"
    assert statement.source == "cyclonedx:urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"


def test_unknown_state_is_reported_with_its_path(tmp_path: Path) -> None:
    doc = json.loads((CISA_CASE_1 / "vex-fixed.json").read_text())
    doc["vulnerabilities"][0]["analysis"]["state"] = "patched"
    path = tmp_path / "vex.json"
    path.write_text(json.dumps(doc))
    content = load_feed_file(path)
    assert content.vex == []
    [error] = content.errors
    assert (error.field, error.record) == ("/vulnerabilities/0/analysis/state", "CVE-2021-44228")


def test_sboms_in_the_vex_folder_are_skipped_not_errors() -> None:
    content = load_feeds([CDX])
    assert content.errors == []
    assert len(content.skipped) == 14  # the bom*.json inventories next to the VEX files
    assert all("inventory, not a feed" in s for s in content.skipped)
    assert len(content.vex) > 150


def test_openvex_statement_names_the_purl() -> None:
    content = load_feed_file(DATA / "nvd" / "db__processors__testdata__openvex.json")
    assert content.errors == []
    [statement] = content.vex
    assert (statement.vulnerability, statement.status, statement.product) == (
        "CVE-2023-45803",
        "fixed",
        "pkg:pypi/urllib3@1.26.16+cgr.1",
    )

"""What the advisories say to do, kept as codes and values: CSAF remediations, CVE 5 fixes."""

from __future__ import annotations

from pathlib import Path

from vigie.engines.feeds import load_feed_file
from vigie.engines.records import VulnRecord

FEEDS = Path(__file__).resolve().parents[2] / "data" / "feeds"
CSAF = FEEDS / "csaf"


def _vuln(path: Path, vuln_id: str) -> VulnRecord:
    content = load_feed_file(path)
    assert content.errors == []
    return next(v for v in content.vulns if v.id == vuln_id)


def test_csaf_medical_vendor_fix_keeps_details_url_and_named_products() -> None:
    vuln = _vuln(CSAF / "cisa-icsma" / "icsma-20-170-01.json.gz", "CVE-2017-0143")
    assert [r.category for r in vuln.remediations] == ["vendor_fix"] * 3
    first, _, bulletin = vuln.remediations
    assert "ExactaMix Version 1.13 (EM2400)" in first.details
    assert first.products == ("Baxter ExactaMix EM2400", "Baxter ExactaMix EM1200")
    assert first.product_ids == ("CSAFPID-0001", "CSAFPID-0002")
    assert bulletin.url == "https://www.baxter.com/product-security#additionalresources"


def test_csaf_mitigations_of_a_medical_advisory_are_kept_one_by_one() -> None:
    vuln = _vuln(CSAF / "cisa-icsma" / "icsma-23-194-01.json.gz", "CVE-2023-30559")
    assert {r.category for r in vuln.remediations} == {"mitigation"}
    assert any("separate virtual local area network" in r.details for r in vuln.remediations)


def test_csaf_no_fix_planned_and_workaround_categories() -> None:
    vuln = _vuln(CSAF / "cisa-icsa-2024" / "icsa-24-046-03.json", "CVE-2020-11896")
    assert [(r.category, r.details) for r in vuln.remediations] == [
        ("no_fix_planned", "Currently no fix is planned"),
        ("workaround", "Implement Security recommendations according to the product manual"),
    ]
    assert len(vuln.remediations[0].products) == 5


def test_csaf_vendor_fix_lists_the_fixed_version_and_its_date() -> None:
    [vuln] = load_feed_file(CSAF / "oasis" / "examples" / "csaf" / "bsi-2022-0001.json").vulns
    [fix] = vuln.remediations
    assert fix.category == "vendor_fix"
    assert fix.fixed_in == ("1.0.0-rc2",)
    assert fix.date == "2022-03-14T13:10:55.000+01:00"
    assert fix.url.startswith("https://github.com/csaf-tools/CVRF-CSAF-Converter/releases/")
    # CPE-identified products are named by their CPE, as the CPE matcher names its criterion.
    assert all(p.startswith("cpe:2.3:a:csaf-tools:cvrf-csaf-converter:") for p in fix.products)


def test_unknown_csaf_remediation_category_is_reported_not_kept(tmp_path: Path) -> None:
    source = CSAF / "cisa-icsa-2024" / "icsa-24-046-03.json"
    text = source.read_text().replace('"category": "workaround"', '"category": "pray"', 1)
    (tmp_path / "advisory.json").write_text(text)
    content = load_feed_file(tmp_path / "advisory.json")
    assert [e.message for e in content.errors] == ["unknown remediation category 'pray'"]
    assert [r.category for r in content.vulns[0].remediations] == ["no_fix_planned"]


def test_cve5_unaffected_runs_and_changes_give_fixed_versions() -> None:
    sample = FEEDS / "cve5" / "vulnrichment-sample.jsonl"
    pan_os = _vuln(sample, "CVE-2022-0028")
    [fix] = [r for r in pan_os.remediations if r.fixed_in]
    assert fix.products == ("Palo Alto Networks PAN-OS",)
    # `changes: [{at: 8.1.23-h1, status: unaffected}]` at the end of each affected branch.
    assert fix.fixed_in[:2] == ("8.1.23-h1", "9.0.16-h3")
    # Cloud NGFW and Prisma Access were never affected: no fix to name for them.
    assert all(len(r.products) <= 1 for r in pan_os.remediations)
    assert [r.category for r in pan_os.remediations if not r.fixed_in] == [
        "vendor_fix",
        "workaround",
    ]
    linux = _vuln(sample, "CVE-2021-47178")
    # "unaffected from 0 below 5.11" is before the flaw, not a fix; 5.12.9 is the fix.
    assert [r.fixed_in for r in linux.remediations] == [("5.12.9",)]


def test_cve5_affected_range_end_is_the_fixed_version_when_others_are_unaffected() -> None:
    windows = _vuln(FEEDS / "cve5" / "vulnrichment-sample.jsonl", "CVE-2021-1675")
    fixes = {r.products[0]: r.fixed_in for r in windows.remediations}
    assert fixes["Microsoft Windows Server 2019"] == ("10.0.17763.1999",)

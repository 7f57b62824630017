"""NVD CVE API 2.0 records, vunnel wrappers and Anchore overrides -> VulnRecord(source="nvd")."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from vigie.engines.feeds import apply_nvd_overrides, load_feed_file, load_feeds

DATA = Path(__file__).resolve().parents[2] / "data" / "feeds" / "nvd"
REJECTED = (
    DATA / "db__v6__diff__testdata__inputs__nvd__results__2020__cve-2020-15415-status-rejected.json"
)
NOT_REJECTED = DATA / "db__v6__diff__testdata__inputs__nvd__results__2020__cve-2020-15415.json"


def test_single_record_maps_id_dates_cwes_references_and_url() -> None:
    content = load_feed_file(DATA / "CVE-2017-5638-cvssv4-rating.json")
    assert content.errors == []
    [record] = content.vulns
    assert record.id == "CVE-2017-5638"
    assert record.source == "nvd"
    assert record.published == datetime(2017, 3, 11, 2, 59, 0, 150000, tzinfo=UTC)
    assert record.modified is not None
    assert record.modified.tzinfo is UTC
    assert record.cwes == ("CWE-20",)
    assert record.description.startswith("The Jakarta Multipart parser in Apache Struts 2")
    assert record.url == "https://nvd.nist.gov/vuln/detail/CVE-2017-5638"
    assert record.references == (
        "http://blog.talosintelligence.com/2017/03/apache-0-day-exploited.html",
    )
    assert not record.rejected


def test_cvss_v4_metric_is_read() -> None:
    [record] = load_feed_file(DATA / "CVE-2017-5638-cvssv4-rating.json").vulns
    [score] = record.cvss
    assert (score.version, score.base_score, score.source) == ("4.0", 10.0, "nvd@nist.gov")
    assert score.vector.startswith("CVSS:4.0/AV:N/")


def test_primary_scores_come_before_secondary_ones() -> None:
    [record] = load_feed_file(DATA / "CVE-2022-31022-all-versions-vulnerable.json").vulns
    assert [(s.version, s.source, s.base_score) for s in record.cvss] == [
        ("3.1", "nvd@nist.gov", 5.5),
        ("2.0", "nvd@nist.gov", 2.1),
        ("3.1", "security-advisories@github.com", 6.2),
    ]


def test_configurations_are_passed_through_unchanged() -> None:
    path = DATA / "db__v6__build__transformers__nvd__testdata__version-range.json"
    [record] = load_feed_file(path).vulns
    assert record.configurations == json.loads(path.read_text())["cve"]["configurations"]


def test_vunnel_wrapped_rejected_record_is_marked_rejected() -> None:
    [rejected] = load_feed_file(REJECTED).vulns
    [published] = load_feed_file(NOT_REJECTED).vulns
    assert rejected.id == published.id == "CVE-2020-15415"
    assert rejected.rejected is True  # vulnStatus "rejected", lower case in this fixture
    assert published.rejected is False


def test_description_falls_back_to_another_language_when_no_english() -> None:
    [record] = load_feed_file(REJECTED).vulns  # the fixture keeps only the Spanish text
    assert record.description.startswith("En los dispositivos DrayTek Vigor3900")


def test_cisa_vulnerability_name_becomes_the_title() -> None:
    [record] = load_feed_file(NOT_REJECTED).vulns
    assert record.title == "DrayTek Multiple Vigor Routers OS Command Injection Vulnerability"


def test_array_of_records_reports_the_one_without_id_and_keeps_the_others() -> None:
    content = load_feed_file(DATA / "db__processors__testdata__nvd.json")
    assert [v.id for v in content.vulns] == ["CVE-1987-1111", "CVE-1987-2222", "CVE-1987-3333"]
    [error] = content.errors
    assert error.field == "/3/cve/id"


def test_api_page_yields_every_record_and_keeps_page_metadata(tmp_path: Path) -> None:
    records = [json.loads(p.read_text()) for p in sorted(DATA.glob("C*.json"))]
    page = {
        "resultsPerPage": 4,
        "startIndex": 0,
        "totalResults": 4,
        "format": "NVD_CVE",
        "version": "2.0",
        "timestamp": "2026-08-20T10:00:00.000",
        "vulnerabilities": records,
    }
    path = tmp_path / "page.json"
    path.write_bytes(orjson.dumps(page))
    content = load_feed_file(path)
    assert [v.id for v in content.vulns] == [r["cve"]["id"] for r in records]
    assert content.meta["nvd_totalResults"] == "4"


def test_jsonl_of_records_and_of_pages_both_read(tmp_path: Path) -> None:
    records = [json.loads(p.read_text()) for p in sorted(DATA.glob("C*.json"))]
    page = {"resultsPerPage": 1, "startIndex": 0, "totalResults": 1, "vulnerabilities": records[:1]}
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(x) for x in [*records, page]) + b"\n")
    content = load_feed_file(path)
    assert content.errors == []
    assert len(content.vulns) == len(records) + 1


def test_invalid_cvss_vector_is_a_warning_and_the_score_is_kept(tmp_path: Path) -> None:
    doc = json.loads((DATA / "CVE-2022-31022-all-versions-vulnerable.json").read_text())
    doc["cve"]["metrics"]["cvssMetricV31"][0]["cvssData"]["vectorString"] = "CVSS:3.1/AV:Q"
    path = tmp_path / "bad-vector.json"
    path.write_text(json.dumps(doc))
    content = load_feed_file(path)
    [error] = content.errors
    assert error.field == "/cve/metrics/cvssMetricV31/0/cvssData/vectorString"
    assert error.record == "CVE-2022-31022"
    assert "CVSS:3.1/AV:Q" in error.message
    assert len(content.vulns[0].cvss) == 3


def test_anchore_override_records_carry_configurations_and_annotation() -> None:
    content = load_feed_file(DATA / "anchore-corrections-head.jsonl")
    assert content.errors == []
    assert len(content.vulns) == 40
    first = content.vulns[0]
    assert first.id == "CVE-1999-0037"
    assert first.source == "nvd"
    assert first.description.startswith("Arbitrary command execution via metamail")
    assert first.configurations[0]["nodes"][0]["cpeMatch"][0]["criteria"].startswith("cpe:2.3:")
    assert first.url.startswith("https://raw.githubusercontent.com/anchore/")
    assert content.overrides == content.vulns


def test_gzipped_override_stream_is_read_line_by_line() -> None:
    content = load_feed_file(DATA / "anchore-all-overrides-head.jsonl.gz")
    assert content.errors == []
    assert len(content.vulns) == 500


def test_loading_nvd_and_overrides_together_replaces_configurations(tmp_path: Path) -> None:
    nvd = json.loads(REJECTED.read_text())["item"]
    override = {
        "_annotation": {"cve_id": "CVE-2020-15415", "reason": "test"},
        "cve": {"configurations": [{"nodes": []}]},
    }
    (tmp_path / "nvd.json").write_text(json.dumps(nvd))
    with gzip.open(tmp_path / "overrides.jsonl.gz", "wt") as handle:
        handle.write(json.dumps(override) + "\n" + json.dumps(override) + "\n")
    content = load_feeds([tmp_path])
    [record] = content.vulns
    assert record.configurations == [{"nodes": []}]
    assert record.description.startswith("En los dispositivos")  # NVD's own fields stay


def test_override_without_nvd_record_is_kept_as_the_record() -> None:
    content = load_feed_file(DATA / "anchore-corrections-head.jsonl")
    merged = apply_nvd_overrides([], content.overrides)
    assert [r.id for r in merged] == [r.id for r in content.vulns]


@pytest.mark.parametrize("status", ["Rejected", "REJECTED", "rejected"])
def test_rejected_status_is_case_insensitive(tmp_path: Path, status: str) -> None:
    doc = json.loads(NOT_REJECTED.read_text())
    doc["item"]["cve"]["vulnStatus"] = status
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc))
    assert load_feed_file(path).vulns[0].rejected

"""CISA KEV (JSON and CSV) and EU KEV -> KevEntry."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from vigie.engines.feeds import load_feed_file

DATA = Path(__file__).resolve().parents[2] / "data" / "feeds"
CISA_JSON = DATA / "kev" / "known_exploited_vulnerabilities.json.gz"
CISA_CSV = DATA / "kev" / "known_exploited_vulnerabilities.csv.gz"
EU = DATA / "kev" / "eukev.json"


def test_cisa_catalogue_has_1404_entries_and_293_ransomware() -> None:
    content = load_feed_file(CISA_JSON)
    assert content.errors == []
    assert len(content.kev) == 1404
    assert sum(e.ransomware for e in content.kev) == 293
    assert {e.catalogue for e in content.kev} == {"cisa"}
    assert content.meta["kev_catalogVersion"] == "2025.08.25"


def test_cisa_entry_fields() -> None:
    entry = next(e for e in load_feed_file(CISA_JSON).kev if e.cve == "CVE-2025-48384")
    assert (entry.vendor, entry.product, entry.date_added, entry.due_date) == (
        "Git",
        "Git",
        "2025-08-25",
        "2025-09-15",
    )
    assert entry.name == "Git Link Following Vulnerability"
    assert entry.required_action.startswith("Apply mitigations per vendor instructions")


def test_cisa_csv_gives_the_same_entries_as_the_json() -> None:
    from_csv = load_feed_file(CISA_CSV)
    assert from_csv.errors == []
    assert sorted(from_csv.kev, key=lambda e: e.cve) == sorted(
        load_feed_file(CISA_JSON).kev, key=lambda e: e.cve
    )


def test_eu_kev_dates_become_iso_and_ransomware_comes_from_exploitation_type() -> None:
    content = load_feed_file(EU)
    assert content.errors == []
    assert len(content.kev) == 43
    assert {e.catalogue for e in content.kev} == {"eu"}
    first = content.kev[0]
    assert (first.cve, first.date_added) == ("CVE-2026-41679", "2026-08-17")
    raw = json.loads(EU.read_text())
    assert (
        sum(e.ransomware for e in content.kev)
        == sum("ransomware" in item["exploitationType"] for item in raw)
        == 13
    )


def test_vunnel_wrapped_and_listed_kev_records_are_read() -> None:
    wrapped = load_feed_file(
        DATA / "nvd" / "db__v6__diff__testdata__inputs__kev__results__cve-2020-15415.json"
    )
    assert [e.cve for e in wrapped.kev] == ["CVE-2020-15415"]
    listed = load_feed_file(DATA / "nvd" / "db__processors__testdata__kev.json")
    assert listed.errors == []
    assert len(listed.kev) == 4


def test_bad_csv_rows_are_reported_by_line_and_column_and_others_load(tmp_path: Path) -> None:
    lines = gzip.decompress(CISA_CSV.read_bytes()).decode().splitlines(keepends=True)
    header, rows = lines[0], lines[1:11]
    rows[2] = rows[2].replace("CVE-", "CVX-", 1)
    rows[5] = rows[5].replace(",2025-", ",25-", 1)
    rows[7] = "CVE-2025-0001,too,few\n"
    path = tmp_path / "kev.csv"
    path.write_text(header + "".join(rows))
    content = load_feed_file(path)
    assert [(e.line, e.field) for e in content.errors] == [
        (4, "cveID"),
        (7, "dateAdded"),
        (9, None),
    ]
    assert "expected 11 columns, found 3" in content.errors[2].message
    assert len(content.kev) == 7


def test_kev_json_with_a_bad_entry_names_its_json_path(tmp_path: Path) -> None:
    doc = json.loads(gzip.decompress(CISA_JSON.read_bytes()))
    doc["vulnerabilities"][3]["dateAdded"] = 20250101
    doc["vulnerabilities"][4] = "not an object"
    path = tmp_path / "kev.json"
    path.write_text(json.dumps(doc))
    content = load_feed_file(path)
    assert [e.field for e in content.errors] == [
        "/vulnerabilities/3/dateAdded",
        "/vulnerabilities/4",
    ]
    assert len(content.kev) == 1402

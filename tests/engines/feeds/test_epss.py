"""FIRST EPSS CSV (plain or gzip) and JSON -> EpssScore."""

from __future__ import annotations

import gzip
from pathlib import Path

from vigie.engines.feeds import load_feed_file
from vigie.engines.records import EpssScore

DATA = Path(__file__).resolve().parents[2] / "data" / "feeds"
HEAD = DATA / "epss" / "epss_scores_emba_head.csv"
OFFICIAL = DATA / "epss" / "epss_scores_with_model_comment.csv.gz"


def test_csv_rows_become_scores() -> None:
    content = load_feed_file(HEAD)
    assert content.errors == []
    assert len(content.epss) == 2000
    assert content.epss[0] == EpssScore("CVE-1999-1593", 0.18126, 0.96946)


def test_gzipped_file_with_model_comment_line_fills_meta() -> None:
    content = load_feed_file(OFFICIAL)
    assert content.errors == []
    assert len(content.epss) == 500
    assert content.meta == {
        "epss_model_version": "v2025.03.14",
        "epss_score_date": "2026-08-16T00:00:00+0000",
    }


def test_bad_numbers_are_reported_with_line_and_column(tmp_path: Path) -> None:
    lines = HEAD.read_text().splitlines(keepends=True)[:21]
    lines[3] = "CVE-1999-0001,abc,0.5\n"
    lines[4] = "CVE-1999-0002,0.5,1.7\n"
    lines[5] = "CVE-1999-0003,nan,0.5\n"
    lines[6] = "not-a-cve,0.1,0.2\n"
    lines[7] = "CVE-1999-0004,0.1\n"
    path = tmp_path / "epss.csv"
    path.write_text("".join(lines))
    content = load_feed_file(path)
    assert [(e.line, e.field) for e in content.errors] == [
        (4, "epss"),
        (5, "percentile"),
        (6, "epss"),
        (7, "cve"),
        (8, None),
    ]
    assert "not a number: 'abc'" in content.errors[0].message
    assert len(content.epss) == 15


def test_csv_without_header_is_not_taken_for_epss(tmp_path: Path) -> None:
    path = tmp_path / "scores.csv.gz"
    path.write_bytes(gzip.compress(b"#model_version:v1,score_date:2026-01-01\nfoo,bar\n1,2\n"))
    content = load_feed_file(path)
    assert content.epss == []
    assert content.errors[0].line == 2
    assert "cve, epss, percentile" in content.errors[0].message


def test_json_lists_and_vunnel_records_are_read() -> None:
    listed = load_feed_file(DATA / "nvd" / "db__processors__testdata__epss.json")
    assert listed.errors == []
    assert [s.cve for s in listed.epss] == ["CVE-2025-0108", "CVE-2025-0109"]
    wrapped = load_feed_file(
        DATA / "nvd" / "db__v6__diff__testdata__inputs__epss__results__cve-2020-15415.json"
    )
    assert wrapped.epss == [EpssScore("CVE-2020-15415", 0.93003, 0.99774)]

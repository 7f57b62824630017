"""Recognising feed files from content, reading directories, and reporting bad files."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from vigie.engines.feeds import FeedFile, iter_feed_paths, load_feed_file, load_feeds

DATA = Path(__file__).resolve().parents[2] / "data" / "feeds"
KEV_JSON = DATA / "kev" / "known_exploited_vulnerabilities.json.gz"
EU_KEV = DATA / "kev" / "eukev.json"
EPSS = DATA / "epss" / "epss_scores_emba_head.csv"
ICSMA = DATA / "csaf" / "cisa-icsma" / "icsma-23-194-01.json.gz"
CVE5 = DATA / "cve5" / "vulnrichment-sample.jsonl"


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        (KEV_JSON, "cisa-kev"),
        (EU_KEV, "eu-kev-entry"),
        (EPSS, "epss-csv"),
        (ICSMA, "csaf"),
        (CVE5, "jsonl"),
        (DATA / "kev" / "known_exploited_vulnerabilities.csv.gz", "cisa-kev-csv"),
        (DATA / "nvd" / "CVE-2017-5638-cvssv3-rating.json", "nvd"),
        (DATA / "vex" / "cyclonedx" / "vex.json", "cyclonedx"),
    ],
)
def test_format_is_recognised_from_content_not_name(
    tmp_path: Path, source: Path, kind: str
) -> None:
    disguised = tmp_path / "feed.data"  # no telling extension, gzip or not
    shutil.copyfile(source, disguised)
    reader = FeedFile(disguised)
    items = list(reader)
    assert reader.kind == kind
    original, renamed = load_feed_file(source), load_feed_file(disguised)
    assert renamed.errors == original.errors == []
    assert (renamed.vulns, renamed.kev, renamed.epss, renamed.vex) == (
        original.vulns,
        original.kev,
        original.epss,
        original.vex,
    )
    counts = [len(original.vulns), len(original.kev), len(original.epss), len(original.vex)]
    assert len(items) == sum(counts)


def test_renamed_file_reads_the_same_as_the_original(tmp_path: Path) -> None:
    renamed = tmp_path / "scores.json"  # an EPSS CSV with a misleading name
    shutil.copyfile(EPSS, renamed)
    assert load_feed_file(renamed).epss == load_feed_file(EPSS).epss


def test_directory_is_read_recursively_and_gzip_transparently(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    shutil.copyfile(KEV_JSON, tmp_path / "a" / "kev.json.gz")
    shutil.copyfile(ICSMA, tmp_path / "a" / "b" / "advisory.json.gz")
    shutil.copyfile(EPSS, tmp_path / "epss.csv")
    (tmp_path / ".vigie-csaf-state.json").write_text("{}")  # hidden: not a feed
    content = load_feeds([tmp_path])
    assert content.errors == []
    assert (len(content.kev), len(content.epss), len(content.vulns)) == (1404, 2000, 8)
    assert [p.name for p in iter_feed_paths(tmp_path)] == [
        "advisory.json.gz",
        "kev.json.gz",
        "epss.csv",
    ]


def test_truncated_json_reports_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "advisory.json"
    text = gzip.decompress(ICSMA.read_bytes()).decode()
    path.write_text(text[: len(text) // 2])
    [error] = load_feed_file(path).errors
    assert error.file == str(path)
    assert error.line is not None
    assert error.line > 100
    assert error.message.startswith("invalid JSON")


def test_truncated_gzip_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "kev.json.gz"
    path.write_bytes(KEV_JSON.read_bytes()[:5000])
    content = load_feed_file(path)
    assert content.kev == []
    assert "cannot read the file" in content.errors[0].message


def test_bad_jsonl_line_is_reported_by_number_and_the_rest_loads(tmp_path: Path) -> None:
    lines = CVE5.read_text().splitlines()
    lines[2] = lines[2][:100]
    lines[4] = '{"hello": "world"}'
    path = tmp_path / "records.jsonl.gz"
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    content = load_feed_file(path)
    assert [(e.line, e.message.split(":")[0]) for e in content.errors] == [
        (3, "invalid JSON on this line"),
        (5, "not a known feed document (top-level keys"),
    ]
    assert len(content.vulns) == 6


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "empty file"),
        (b"\n\n  \n", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary content"),
        (bytes(range(128, 256)) * 4, "not UTF-8"),
        (b"id,name\n1,pump\n", "not a known feed format"),
        (b'{"foo": 1, "bar": [1, 2]}', "not a known feed document (top-level keys: bar, foo)"),
        (b"[1, 2, 3]", "array item is not a known feed record"),
        (b'{"CVE_Items": []}', "NVD JSON 1.1 feed"),
    ],
)
def test_unreadable_or_unknown_files_give_a_clear_error(
    tmp_path: Path, payload: bytes, message: str
) -> None:
    path = tmp_path / "input.json"
    path.write_bytes(payload)
    content = load_feed_file(path)
    [error] = content.errors
    assert message in error.message
    assert error.file == str(path)


def test_one_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    shutil.copyfile(EU_KEV, tmp_path / "a.json")
    (tmp_path / "b.json").write_bytes(b"\x00\x01garbage")
    shutil.copyfile(EPSS, tmp_path / "c.csv")
    content = load_feeds([tmp_path])
    assert [Path(e.file).name for e in content.errors] == ["b.json"]
    assert (len(content.kev), len(content.epss)) == (43, 2000)


def test_missing_path_is_reported(tmp_path: Path) -> None:
    content = load_feeds([tmp_path / "nowhere.json"])
    [error] = content.errors
    assert error.message == "no such file or directory"


def test_schemas_listings_and_distribution_files_are_skipped_silently() -> None:
    content = load_feeds([DATA / "csaf" / "cisa-feed", DATA / "csaf" / "oasis" / "examples"])
    assert content.errors == []
    reasons = {s.split(": ", 1)[1] for s in content.skipped}
    assert reasons == {
        "CSAF changes.csv listing",
        "CSAF index.txt listing",
        "CSAF distribution metadata (ROLIE feed, provider or aggregator)",
    }


def test_wrong_json_types_in_a_kev_entry_name_the_field(tmp_path: Path) -> None:
    path = tmp_path / "eu.json"
    path.write_text(
        EU_KEV.read_text().replace('"exploitationType": ["unknown"]', '"exploitationType": 3', 1)
    )
    content = load_feed_file(path)
    assert [e.field for e in content.errors] == ["/0/exploitationType"]
    assert len(content.kev) == 43

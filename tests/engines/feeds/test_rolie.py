"""CSAF provider distribution files: ROLIE feeds, changes.csv, index.txt."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from vigie.engines.feeds import parse_changes_csv, parse_index_txt, parse_rolie_feed
from vigie.engines.feeds.common import Problems

DATA = Path(__file__).resolve().parents[2] / "data" / "feeds" / "csaf"
CISA_IT_FEED = DATA / "cisa-feed" / "it-cisa-csaf-it-feed-tlp-white.json"
OASIS_FEED = DATA / "oasis" / "examples" / "ROLIE" / "example-01-feed-tlp-white.json"


def test_cisa_feed_entries_with_ref_hash_links() -> None:
    problems = Problems(str(CISA_IT_FEED))
    entries = parse_rolie_feed(json.loads(CISA_IT_FEED.read_text()), problems)
    assert problems.errors == []
    assert len(entries) == 4
    first = entries[0]
    assert first.id == "VA-24-254-02"
    assert first.url == (
        "https://raw.githubusercontent.com/cisagov/CSAF/develop/csaf_files/IT/"
        "white/2024/va-24-254-02.json"
    )
    assert first.updated == datetime(2024, 10, 3, 16, 3, tzinfo=UTC)
    assert first.hash_urls == (first.url + ".sha512",)  # CISA writes "ref": "hash"
    assert first.signature_url == first.url + ".asc"


def test_oasis_feed_entries_with_rel_hash_links() -> None:
    entries = parse_rolie_feed(json.loads(OASIS_FEED.read_text()), Problems("x"))
    [entry] = entries
    assert entry.url == "https://psirt.domain.tld/advisories/csaf/2020/2020-ESA-001.json"
    assert entry.hash_urls == (entry.url + ".sha512",)


def test_relative_links_resolve_against_the_feed_url() -> None:
    doc = {
        "feed": {
            "entry": [
                {
                    "id": "A-1",
                    "updated": "2024-01-01T00:00:00Z",
                    "content": {"src": "2024/a-1.json"},
                    "link": [{"rel": "hash", "href": "2024/a-1.json.sha256"}],
                }
            ]
        }
    }
    [entry] = parse_rolie_feed(doc, Problems("x"), "https://example.org/csaf/white/feed.json")
    assert entry.url == "https://example.org/csaf/white/2024/a-1.json"
    assert entry.hash_urls == ("https://example.org/csaf/white/2024/a-1.json.sha256",)


def test_entry_without_url_is_reported_and_skipped() -> None:
    problems = Problems("feed.json")
    doc = {"feed": {"entry": [{"id": "A-1", "link": [{"rel": "hash"}]}]}}
    assert parse_rolie_feed(doc, problems) == []
    assert [e.field for e in problems.errors] == ["/feed/entry/0/link/0", "/feed/entry/0"]


def test_changes_csv_and_index_txt() -> None:
    problems = Problems("changes.csv")
    changes = parse_changes_csv((DATA / "cisa-feed" / "it-changes.csv").read_text(), problems)
    assert problems.errors == []
    assert [c.path for c in changes][:1] == ["csaf_files/IT/white/2024/va-24-254-02.json"]
    assert changes[0].updated == datetime(2024, 10, 3, 16, 3, tzinfo=UTC)
    index = parse_index_txt((DATA / "cisa-feed" / "it-index.txt").read_text())
    assert sorted(index) == sorted(c.path for c in changes)


def test_bad_changes_line_is_reported_by_line() -> None:
    problems = Problems("changes.csv")
    changes = parse_changes_csv('"a.json","2024-01-01T00:00:00Z"\n"b.json","yesterday"\n', problems)
    assert [c.path for c in changes] == ["a.json"]
    assert problems.errors[0].line == 2

"""The downloaders against a real HTTP server on 127.0.0.1 serving copies of the fixtures."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from vigie.engines.feeds import CsafFetcher, FeedError, HttpClient, NvdApiClient, load_feeds
from vigie.engines.feeds.nvd_api import windows
from vigie.engines.records import InputError, VulnRecord

DATA = Path(__file__).resolve().parents[2] / "data" / "feeds"
CISA_BASE = "https://raw.githubusercontent.com/cisagov/CSAF/develop/"
FEED_PATH = "/csaf_files/OT/white/cisa-csaf-ot-feed-tlp-white.json"
NVD_PATH = "/rest/json/cves/2.0"


@dataclass
class ServerState:
    log: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # header names lower
    failures: dict[str, tuple[int, int]] = field(default_factory=dict)  # path -> (status, times)
    delays: dict[str, float] = field(default_factory=dict)
    nvd_records: list[dict[str, Any]] = field(default_factory=list)

    def requests(self, path: str) -> list[dict[str, str]]:
        return [headers for p, headers in self.log if urlsplit(p).path == path]


class Handler(SimpleHTTPRequestHandler):
    def __init__(self, *args: Any, state: ServerState, **kwargs: Any) -> None:
        self.state = state  # set first: the base class handles the request in __init__
        super().__init__(*args, **kwargs)

    def log_message(self, *args: Any) -> None:  # keep the test output quiet
        return

    def do_GET(self) -> None:
        self.state.log.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        path = urlsplit(self.path).path
        status, times = self.state.failures.get(path, (0, 0))
        if times > 0:
            self.state.failures[path] = (status, times - 1)
            self.send_response(status)
            self.send_header("Retry-After", "0")
            self.send_header("message", "slow down")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if path in self.state.delays:
            time.sleep(self.state.delays[path])
        if path == NVD_PATH:
            self._nvd_page()
            return
        super().do_GET()

    def _nvd_page(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        start, size = int(query["startIndex"][0]), int(query["resultsPerPage"][0])
        records = self.state.nvd_records
        body = json.dumps(
            {
                "resultsPerPage": len(records[start : start + size]),
                "startIndex": start,
                "totalResults": len(records),
                "format": "NVD_CVE",
                "version": "2.0",
                "timestamp": "2026-08-20T10:00:00.000",
                "vulnerabilities": records[start : start + size],
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@dataclass
class Server:
    url: str
    root: Path
    state: ServerState


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    root = tmp_path / "www"
    root.mkdir()
    state = ServerState()
    httpd = ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(Handler, directory=str(root), state=state)
    )
    httpd.daemon_threads = True
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}", root, state)
    finally:
        httpd.shutdown()
        httpd.server_close()


def _client(**overrides: Any) -> HttpClient:
    settings: dict[str, Any] = {"timeout": 5.0, "retries": 0, "backoff": 0.0, "proxies": {}}
    settings.update(overrides)
    return HttpClient(**settings)


def _publish_csaf(server: Server, with_hashes: bool = True) -> list[dict[str, Any]]:
    """Serve the CISA OT feed subset and its advisories as CISA lays them out."""
    feed_text = (DATA / "csaf" / "cisa-feed" / "ot-feed-icsma-subset.json").read_text()
    feed = json.loads(feed_text.replace(CISA_BASE, server.url + "/"))
    for entry in feed["feed"]["entry"]:
        relative = urlsplit(entry["content"]["src"]).path.lstrip("/")
        target = server.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        body = gzip.decompress((DATA / "csaf" / "cisa-icsma" / f"{target.name}.gz").read_bytes())
        target.write_bytes(body)
        if with_hashes:
            digest = hashlib.sha512(body).hexdigest()
            Path(f"{target}.sha512").write_text(f"{digest}  {target.name}\n")
    _write_feed(server, feed)
    entries: list[dict[str, Any]] = feed["feed"]["entry"]
    return entries


def _write_feed(server: Server, feed: dict[str, Any], later: bool = False) -> None:
    path = server.root / FEED_PATH.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(feed))
    if later:  # Last-Modified has one-second resolution: make the change visible
        stamp = time.time() + 10
        os.utime(path, (stamp, stamp))


# ------------------------------------------------------------------------------ CSAF ROLIE


def test_rolie_refresh_downloads_every_advisory_then_nothing_when_unchanged(
    server: Server,
    tmp_path: Path,
) -> None:
    entries = _publish_csaf(server)
    fetcher = CsafFetcher(tmp_path / "dest", _client())
    first = fetcher.fetch_rolie(server.url + FEED_PATH)
    assert first.failed == []
    assert len(first.downloaded) == len(entries) == 12
    assert first.watermark == datetime(2024, 9, 10, 6, 0, tzinfo=UTC)
    stored = sorted(p.relative_to(tmp_path / "dest").as_posix() for p in first.downloaded)
    assert stored[-1] == "2024/icsma-24-254-01.json"  # the path below the feed's folder
    content = load_feeds([tmp_path / "dest"])
    assert content.errors == []
    assert len({v.source for v in content.vulns}) == 12

    second = fetcher.fetch_rolie(server.url + FEED_PATH)
    assert second.not_modified
    assert second.downloaded == []
    assert "if-modified-since" in server.state.requests(FEED_PATH)[-1]


def test_rolie_refresh_fetches_only_entries_updated_after_the_watermark(
    server: Server,
    tmp_path: Path,
) -> None:
    entries = _publish_csaf(server)
    fetcher = CsafFetcher(tmp_path / "dest", _client())
    fetcher.fetch_rolie(server.url + FEED_PATH)
    changed = entries[5]
    changed["updated"] = "2024-10-01T08:00:00Z"
    _write_feed(server, {"feed": {"entry": entries}}, later=True)
    before = len(server.state.log)

    refresh = fetcher.fetch_rolie(server.url + FEED_PATH)
    assert [p.name for p in refresh.downloaded] == [changed["content"]["src"].rsplit("/", 1)[1]]
    assert refresh.unchanged == 11
    assert refresh.watermark == datetime(2024, 10, 1, 8, 0, tzinfo=UTC)
    assert len(server.state.log) - before == 3  # feed, advisory, its .sha512


def test_digest_mismatch_is_not_written_and_retried_next_time(
    server: Server,
    tmp_path: Path,
) -> None:
    entries = _publish_csaf(server)
    bad = urlsplit(entries[3]["content"]["src"]).path
    hash_file = server.root / f"{bad.lstrip('/')}.sha512"
    good_digest = hash_file.read_text()
    hash_file.write_text("0" * 128 + "  tampered.json\n")
    fetcher = CsafFetcher(tmp_path / "dest", _client())

    first = fetcher.fetch_rolie(server.url + FEED_PATH)
    [failure] = first.failed
    assert failure.url.endswith(bad)
    assert "sha512 digest mismatch" in failure.message
    assert len(first.downloaded) == 11
    assert not (tmp_path / "dest" / bad.split("/white/")[1]).exists()

    hash_file.write_text(good_digest)
    second = fetcher.fetch_rolie(server.url + FEED_PATH)
    assert not second.not_modified  # Last-Modified was not kept after a failure
    assert second.failed == []
    assert bad.rsplit("/", 1)[1] in [p.name for p in second.downloaded]


def test_listed_hash_that_is_missing_fails_the_advisory(server: Server, tmp_path: Path) -> None:
    entries = _publish_csaf(server, with_hashes=False)
    result = CsafFetcher(tmp_path / "dest", _client()).fetch_rolie(server.url + FEED_PATH)
    assert len(result.failed) == len(entries)
    assert {e.status for e in result.failed} == {404}


def test_changes_csv_directory_with_hashes_not_offered(server: Server, tmp_path: Path) -> None:
    entries = _publish_csaf(server, with_hashes=False)
    (server.root / "changes.csv").write_bytes(
        (DATA / "csaf" / "cisa-feed" / "ot-changes-icsma-subset.csv").read_bytes()
    )
    result = CsafFetcher(tmp_path / "dest", _client()).fetch_directory(server.url)
    assert result.failed == []
    assert len(result.downloaded) == len(entries)
    assert (tmp_path / "dest" / "csaf_files" / "OT" / "white" / "2024").is_dir()
    again = CsafFetcher(tmp_path / "dest", _client()).fetch_directory(server.url)
    assert again.not_modified


# ------------------------------------------------------------------------------ HTTP client


def test_503_is_retried_then_succeeds(server: Server, tmp_path: Path) -> None:
    _publish_csaf(server)
    server.state.failures[FEED_PATH] = (503, 2)
    result = CsafFetcher(tmp_path / "dest", _client(retries=3)).fetch_rolie(server.url + FEED_PATH)
    assert len(result.downloaded) == 12
    assert len(server.state.requests(FEED_PATH)) == 3


def test_retries_exhausted_raise_feed_error_with_url_and_status(server: Server) -> None:
    server.state.failures["/x.json"] = (503, 10)
    with pytest.raises(FeedError) as caught:
        _client(retries=2).get(server.url + "/x.json")
    assert caught.value.status == 503
    assert caught.value.url == server.url + "/x.json"
    assert "after 3 attempts" in str(caught.value)
    assert len(server.state.requests("/x.json")) == 3


def test_not_found_is_not_retried(server: Server) -> None:
    with pytest.raises(FeedError) as caught:
        _client(retries=3).get(server.url + "/missing.json")
    assert caught.value.status == 404
    assert len(server.state.requests("/missing.json")) == 1


def test_stalled_server_gives_a_timeout_error_not_a_hang(server: Server) -> None:
    (server.root / "slow.json").write_text("{}")
    server.state.delays["/slow.json"] = 3.0
    with pytest.raises(FeedError) as caught:
        _client(timeout=0.3).get(server.url + "/slow.json")
    assert caught.value.status is None
    assert "network error" in caught.value.message


def test_only_http_urls_are_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    with pytest.raises(FeedError, match="only http and https"):
        _client().get(secret.as_uri())


# ------------------------------------------------------------------------------ NVD API


def _nvd_records() -> list[dict[str, Any]]:
    records = [json.loads(p.read_text()) for p in sorted((DATA / "nvd").glob("C*.json"))]
    records += json.loads((DATA / "nvd" / "db__processors__testdata__nvd.json").read_text())[:3]
    return records


def test_nvd_client_pages_until_total_results_and_sends_the_api_key(server: Server) -> None:
    server.state.nvd_records = _nvd_records()
    client = NvdApiClient(
        base_url=server.url + NVD_PATH, api_key="k-123", delay=0, results_per_page=3, http=_client()
    )
    start = datetime(2024, 1, 1, tzinfo=UTC)
    items = list(client.iter_records(start, start + timedelta(days=2)))
    records = [i for i in items if isinstance(i, VulnRecord)]
    assert [r.id for r in records] == [r["cve"]["id"] for r in server.state.nvd_records]
    assert [i for i in items if isinstance(i, InputError)] == []
    requests = [parse_qs(urlsplit(p).query) for p, _ in server.state.log]
    assert len(records) == 6
    assert [q["startIndex"] for q in requests] == [["0"], ["3"]]
    assert requests[0]["lastModStartDate"] == ["2024-01-01T00:00:00.000+00:00"]
    assert requests[0]["lastModEndDate"] == ["2024-01-03T00:00:00.000+00:00"]
    assert {headers.get("apikey") for _, headers in server.state.log} == {"k-123"}


def test_nvd_client_without_key_sends_no_key_header(server: Server) -> None:
    server.state.nvd_records = _nvd_records()[:2]
    client = NvdApiClient(base_url=server.url + NVD_PATH, delay=0, http=_client())
    start = datetime(2024, 1, 1, tzinfo=UTC)
    assert len(list(client.iter_pages(start, start + timedelta(hours=2)))) == 1
    assert "apikey" not in server.state.log[0][1]


def test_nvd_period_longer_than_120_days_is_cut_into_windows(server: Server) -> None:
    server.state.nvd_records = _nvd_records()[:1]
    client = NvdApiClient(base_url=server.url + NVD_PATH, delay=0, http=_client())
    start, end = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 12, 31, tzinfo=UTC)
    assert len(list(client.iter_pages(start, end))) == 4
    spans = [
        (
            datetime.fromisoformat(q["lastModStartDate"][0]),
            datetime.fromisoformat(q["lastModEndDate"][0]),
        )
        for q in (parse_qs(urlsplit(p).query) for p, _ in server.state.log)
    ]
    assert spans[0][0] == start
    assert spans[-1][1] == end
    assert all(b - a <= timedelta(days=120) for a, b in spans)
    assert all(spans[i][1] == spans[i + 1][0] for i in range(len(spans) - 1))
    assert windows(start, start) == [(start, start)]


def test_nvd_rate_limit_answer_is_retried(server: Server) -> None:
    server.state.nvd_records = _nvd_records()[:2]
    server.state.failures[NVD_PATH] = (403, 1)
    client = NvdApiClient(base_url=server.url + NVD_PATH, delay=0, http=_client(retries=2))
    start = datetime(2024, 1, 1, tzinfo=UTC)
    assert len(list(client.iter_records(start, start + timedelta(days=1)))) == 2
    assert len(server.state.log) == 2


def test_nvd_answer_that_is_not_a_page_is_a_feed_error(server: Server) -> None:
    (server.root / "rest.json").write_text('{"message": "Invalid apiKey"}')
    client = NvdApiClient(base_url=server.url + "/rest.json", delay=0, http=_client())
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with pytest.raises(FeedError, match=r"not a CVE API 2\.0 page"):
        list(client.iter_pages(start, start + timedelta(days=1)))

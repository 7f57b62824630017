"""Refreshing feeds from URLs, served by a real local HTTP server (no mocks, no internet)."""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from vigie.core import scheduling
from vigie.engines.feeds import HttpClient
from vigie.tenancy.access import OrgAccess
from vigie.vulns.models import Alert, EpssScore, FeedRun, KevListing, PendingMatch
from vigie.vulns.refresh import refresh_configured_feeds

from .support import DEMO_FEEDS, HEADER, import_csv

PORTAL = (
    "portal,Portail patients,server,Apache,HTTP Server,2.4.59,"
    "cpe:2.3:a:apache:http_server:2.4.59:*:*:*:*:*:*:*,,,business,internet,DMZ\n"
)


@dataclass
class FeedServer:
    base: str
    files: dict[str, bytes] = field(default_factory=dict)
    nvd_records: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    fail_next: int = 0


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    state = FeedServer(base="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            state.requests.append((self.path, dict(self.headers)))
            if state.fail_next:
                state.fail_next -= 1
                self.send_response(500)
                self.end_headers()
                return
            if parts.path == "/nvd/cves/2.0":
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                start, count = int(query["startIndex"]), int(query["resultsPerPage"])
                page = state.nvd_records[start : start + count]
                body = json.dumps(
                    {
                        "resultsPerPage": len(page),
                        "startIndex": start,
                        "totalResults": len(state.nvd_records),
                        "format": "NVD_CVE",
                        "version": "2.0",
                        "vulnerabilities": page,
                    }
                ).encode()
            elif parts.path in state.files:
                body = state.files[parts.path]
            else:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def nvd_records() -> list[dict[str, Any]]:
    """The demo's Apache HTTP Server records, shaped as NVD API 2.0 items."""
    found = []
    with gzip.open(DEMO_FEEDS / "nvd-overrides.jsonl.gz", "rt") as source:
        for line in source:
            if "apache:http_server" in line:
                record = json.loads(line)
                annotation = record["_annotation"]
                found.append(
                    {
                        "cve": {
                            "id": annotation["cve_id"],
                            "published": (annotation.get("published") or "2024-01-01T00:00:00")[
                                :19
                            ],
                            "lastModified": (annotation.get("modified") or "2024-01-01T00:00:00")[
                                :19
                            ],
                            "vulnStatus": "Analyzed",
                            "descriptions": [
                                {"lang": "en", "value": annotation.get("description", "")}
                            ],
                            "configurations": record["cve"]["configurations"],
                            "references": [],
                        }
                    }
                )
    return found


def rolie_feed(feed_server: FeedServer) -> bytes:
    """A ROLIE feed of two CISA ICS-Medical advisories, served with their SHA-512 files."""
    entries = []
    for name in ("icsma-17-017-02.json", "icsma-23-194-01.json"):
        body = (DEMO_FEEDS / "csaf" / name).read_bytes()
        feed_server.files[f"/csaf/{name}"] = body
        feed_server.files[f"/csaf/{name}.sha512"] = (
            hashlib.sha512(body).hexdigest() + f"  {name}\n"
        ).encode()
        entries.append(
            {
                "id": name,
                "title": name,
                "updated": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
                "content": {"type": "application/json", "src": f"{feed_server.base}/csaf/{name}"},
                "link": [
                    {"rel": "self", "href": f"{feed_server.base}/csaf/{name}"},
                    {"rel": "hash", "href": f"{feed_server.base}/csaf/{name}.sha512"},
                ],
                "format": {
                    "schema": "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json",
                    "version": "2.0",
                },
            }
        )
    return json.dumps(
        {
            "feed": {
                "id": "test",
                "title": "Test provider",
                "updated": datetime.now(UTC).isoformat(),
                "entry": entries,
            }
        }
    ).encode()


def client() -> HttpClient:
    return HttpClient(timeout=5, retries=1, backoff=0)


def test_configured_file_urls_are_fetched_and_imported(
    feed_server: FeedServer, settings: Any, db: Any
) -> None:
    feed_server.files["/kev.json"] = (DEMO_FEEDS / "kev.json").read_bytes()
    feed_server.files["/epss.csv.gz"] = (DEMO_FEEDS / "epss.csv.gz").read_bytes()
    settings.VIGIE_FEED_URLS = [
        f"{feed_server.base}/kev.json",
        f"{feed_server.base}/epss.csv.gz?token=s3cret",
    ]
    summary = refresh_configured_feeds(triggered_by="test", client=client())
    assert [s["state"] for s in summary["files"]["sources"]] == ["ok", "ok"]
    assert KevListing.objects.filter(cve="CVE-2024-38475", catalogue="cisa").exists()
    assert EpssScore.objects.count() > 100
    locations = set(FeedRun.objects.values_list("location", flat=True))
    assert f"{feed_server.base}/epss.csv.gz" in locations
    assert not any("s3cret" in location for location in locations)


def test_nvd_api_is_read_incrementally_with_the_api_key(
    feed_server: FeedServer, settings: Any, a_access: OrgAccess
) -> None:
    import_csv(a_access, HEADER + PORTAL)
    feed_server.nvd_records = nvd_records()
    feed_server.files["/kev.json"] = (DEMO_FEEDS / "kev.json").read_bytes()
    settings.VIGIE_FEED_URLS = [f"{feed_server.base}/kev.json"]
    settings.VIGIE_NVD_API_URL = f"{feed_server.base}/nvd/cves/2.0"
    settings.VIGIE_NVD_API_KEY = "key-123"
    settings.VIGIE_NVD_API_DELAY_SECONDS = 0
    first = refresh_configured_feeds(triggered_by="test", client=client())
    assert first["nvd"]["state"] == "ok"
    assert first["nvd"]["records"] == len(feed_server.nvd_records)
    alert = Alert.objects.get(vulnerability__vuln_id="CVE-2024-38475")
    assert alert.decision["exploitation"] == "active"  # KEV, fetched in the same refresh
    nvd_calls = [
        (path, headers) for path, headers in feed_server.requests if path.startswith("/nvd/")
    ]
    assert nvd_calls
    assert all(
        {k.lower(): v for k, v in headers.items()}.get("apikey") == "key-123"
        for _, headers in nvd_calls
    )
    run = FeedRun.objects.filter(source="nvd-api").latest("started_at")
    assert run.watermark
    assert "key-123" not in run.location
    # The next refresh asks only for what changed since the watermark.
    feed_server.requests.clear()
    refresh_configured_feeds(triggered_by="test", client=client())
    asked = parse_qs(urlsplit(feed_server.requests[-1][0]).query)
    since = datetime.fromisoformat(asked["lastModStartDate"][0])
    assert since == datetime.fromisoformat(run.watermark).astimezone(UTC).replace(
        microsecond=since.microsecond
    )


def test_a_failing_source_is_recorded_and_retried_next_time(
    feed_server: FeedServer, settings: Any, db: Any
) -> None:
    settings.VIGIE_NVD_API_URL = f"{feed_server.base}/nvd/cves/2.0"
    settings.VIGIE_NVD_API_DELAY_SECONDS = 0
    feed_server.fail_next = 10
    summary = refresh_configured_feeds(triggered_by="test", client=client())
    assert summary["nvd"]["state"] == "failed"
    run = FeedRun.objects.get(source="nvd-api")
    assert run.errors
    assert run.watermark == ""  # the next run starts again from the last good point


def test_csaf_provider_rolie_feed_downloads_new_advisories_only(
    feed_server: FeedServer, settings: Any, a_access: OrgAccess
) -> None:
    import_csv(
        a_access,
        HEADER
        + "pump-1,Pompe Alaris,medical-device,BD,Alaris PC Unit model 8015,9.19,,,,"
        + "life-sustaining,internal,Réa\n",
    )
    feed_server.files["/csaf/feed.json"] = rolie_feed(feed_server)
    settings.VIGIE_CSAF_ROLIE_URLS = [f"{feed_server.base}/csaf/feed.json"]
    first = refresh_configured_feeds(triggered_by="test", client=client())
    result = next(v for k, v in first.items() if k.startswith("csaf:"))
    assert result["downloaded"] == 2
    assert Alert.objects.filter(organisation=a_access.organisation).exists()
    second = refresh_configured_feeds(triggered_by="test", client=client())
    again = next(v for k, v in second.items() if k.startswith("csaf:"))
    assert again.get("downloaded", 0) == 0


def test_feed_refresh_is_scheduled_only_when_a_feed_is_configured(settings: Any) -> None:
    job = next(j for j in scheduling.registered_jobs() if j.name == "refresh-feeds")
    settings.VIGIE_FEED_URLS = []
    settings.VIGIE_NVD_API_URL = ""
    settings.VIGIE_CSAF_ROLIE_URLS = []
    settings.VIGIE_CSAF_DIRECTORY_URLS = []
    assert not job.enabled()
    settings.VIGIE_FEED_URLS = ["http://127.0.0.1:1/kev.json"]
    assert job.enabled()


def test_feed_directory_paths_are_not_confused_with_urls(tmp_path: Path, db: Any) -> None:
    from vigie.vulns.feed_import import import_sources

    kev = tmp_path / "kev.json"
    kev.write_bytes((DEMO_FEEDS / "kev.json").read_bytes())
    summary = import_sources([str(kev)], triggered_by="test")
    assert summary["sources"][0]["state"] == "ok"
    assert FeedRun.objects.get().source == "file"


def _dies_while_matching(*args: Any, **kwargs: Any) -> Any:
    # Stands for the process dying after the records were stored, before they were matched.
    raise RuntimeError("the machine went down")


def test_the_nvd_watermark_waits_until_the_records_it_covers_are_matched(
    feed_server: FeedServer, settings: Any, a_access: OrgAccess, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vigie.vulns import feed_import

    import_csv(a_access, HEADER + PORTAL)
    feed_server.nvd_records = nvd_records()
    settings.VIGIE_NVD_API_URL = f"{feed_server.base}/nvd/cves/2.0"
    settings.VIGIE_NVD_API_DELAY_SECONDS = 0
    monkeypatch.setattr(feed_import, "drain", _dies_while_matching)
    with pytest.raises(RuntimeError):
        refresh_configured_feeds(triggered_by="test", client=client())
    failed = FeedRun.objects.get(source="nvd-api")
    assert (failed.state, failed.watermark) == ("failed", "")
    assert not Alert.objects.exists()
    monkeypatch.undo()
    feed_server.requests.clear()
    refresh_configured_feeds(triggered_by="test", client=client())
    # The same records are read again (from the first run's start, VIGIE_NVD_INITIAL_DAYS ago,
    # not from a watermark), and what the failed run stored is matched.
    asked = parse_qs(urlsplit(feed_server.requests[0][0]).query)["lastModStartDate"][0]
    initial = datetime.now(UTC) - timedelta(days=settings.VIGIE_NVD_INITIAL_DAYS)
    assert datetime.fromisoformat(asked) < initial + timedelta(minutes=1)
    assert Alert.objects.filter(vulnerability__vuln_id="CVE-2024-38475").exists()
    latest = FeedRun.objects.filter(source="nvd-api").latest("started_at")
    assert latest.state == "ok"
    assert latest.watermark
    assert not PendingMatch.objects.exists()


def test_a_csaf_provider_is_read_again_when_its_advisories_were_not_matched(
    feed_server: FeedServer, settings: Any, a_access: OrgAccess, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vigie.vulns import feed_import

    import_csv(
        a_access,
        HEADER
        + "pump-1,Pompe Alaris,medical-device,BD,Alaris PC Unit model 8015,9.19,,,,"
        + "life-sustaining,internal,Réa\n",
    )
    feed_server.files["/csaf/feed.json"] = rolie_feed(feed_server)
    settings.VIGIE_CSAF_ROLIE_URLS = [f"{feed_server.base}/csaf/feed.json"]
    monkeypatch.setattr(feed_import, "drain", _dies_while_matching)
    with pytest.raises(RuntimeError):
        refresh_configured_feeds(triggered_by="test", client=client())
    assert not Alert.objects.exists()
    monkeypatch.undo()
    again = refresh_configured_feeds(triggered_by="test", client=client())
    result = next(v for k, v in again.items() if k.startswith("csaf:"))
    assert result["downloaded"] == 2  # the cursor had not moved
    assert Alert.objects.filter(organisation=a_access.organisation).exists()
    assert not PendingMatch.objects.exists()

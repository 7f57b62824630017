"""`vigie sensor pull` against the platform's own TAXII server (pytest-django's live_server),
the local store it fills, `pull --file`, `scan` reading that store, and a real pull killed
with SIGKILL half-way through, which must leave a store that loads and a pull that resumes.

The commands run in-process (`vigie.sensor.cli.main`) with their environment set through
monkeypatch, except the killed pull, which is a real subprocess with Django unimportable.
"""

from __future__ import annotations

import http.server
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.utils import timezone

from tests.taxii.support import publish
from vigie.api.tokens import create_token
from vigie.intel.models import Tlp
from vigie.sensor.cli import main
from vigie.sensor.config import SensorConfig
from vigie.sensor.matcher import IndicatorSet
from vigie.sensor.store import IndicatorStore
from vigie.sensor.taxii_client import TaxiiClient
from vigie.tenancy.models import Organisation

DATA = Path(__file__).resolve().parent.parent / "data" / "sensor"
TAXII = "application/taxii+json;version=2.1"


def sensor(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out, err)
    return status, out.getvalue(), err.getvalue()


def stored(home: Path, now: datetime | None = None) -> IndicatorSet:
    """What a scan would match: the store loaded as `scan` loads it."""
    indicators = IndicatorSet()
    with IndicatorStore.open(SensorConfig(home=home).indicators_path, create=False) as store:
        store.load_into(indicators, None, now or datetime.now(UTC))
    return indicators


@pytest.fixture
def requests_made(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, str]]]:
    """Every TAXII request the client makes: its URL and query parameters."""
    made: list[tuple[str, dict[str, str]]] = []
    original = TaxiiClient._get

    def recording(
        self: TaxiiClient, url: str, params: dict[str, str] | None = None
    ) -> tuple[dict[str, Any], dict[str, str]]:
        made.append((url, dict(params or {})))
        return original(self, url, params)

    monkeypatch.setattr(TaxiiClient, "_get", recording)
    return made


@pytest.fixture
def platform(
    live_server: Any,
    a_admin: Any,
    est_a: Organisation,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """A sensor of CHU Alpha configured for the live platform; its VIGIE_HOME."""
    _row, secret = create_token(user=a_admin, name="sensor")
    token = tmp_path / "token"
    token.write_text(secret + "\n")
    home = tmp_path / "home"
    monkeypatch.setenv("VIGIE_HOME", str(home))
    monkeypatch.setenv("VIGIE_SENSOR_PLATFORM", live_server.url)
    monkeypatch.setenv("VIGIE_SENSOR_ORGANISATION", est_a.slug)
    monkeypatch.setenv("VIGIE_SENSOR_TOKEN_FILE", str(token))
    monkeypatch.delenv("VIGIE_SENSOR_TOKEN", raising=False)
    return home


def _objects_requests(
    requests_made: list[tuple[str, dict[str, str]]],
) -> list[tuple[str, dict[str, str]]]:
    return [(url, params) for url, params in requests_made if url.endswith("/objects/")]


@pytest.mark.django_db(transaction=True)
def test_the_first_pull_stores_every_indicator_the_establishment_may_see(
    platform: Path, centre: Organisation, est_a: Organisation, est_b: Organisation
) -> None:
    publish(centre, Tlp.CLEAR, "clear.example")
    publish(est_a, Tlp.GREEN, "203.0.113.9", type_="ipv4")
    publish(centre, Tlp.GREEN, "198.51.100.0/24", type_="cidr")
    publish(est_b, Tlp.AMBER_STRICT, "b" * 64, type_="sha256")  # not est_a's to see

    status, out, err = sensor("pull")

    assert status == 0, err
    assert out == ""
    indicators = stored(platform)
    assert sorted(indicators.values) == ["198.51.100.0/24", "203.0.113.9", "clear.example"]
    assert all(i and i.startswith("indicator--") for i in indicators.ids)
    assert "objects read" in err
    mode = SensorConfig(home=platform).indicators_path.stat().st_mode
    assert mode & 0o077 == 0  # indicators shared under TLP: owner only


@pytest.mark.django_db(transaction=True)
def test_a_second_pull_asks_only_for_what_was_added_since_the_first(
    platform: Path,
    centre: Organisation,
    requests_made: list[tuple[str, dict[str, str]]],
) -> None:
    publish(centre, Tlp.CLEAR, "first.example")
    assert sensor("pull")[0] == 0
    first = _objects_requests(requests_made)
    assert first
    assert all("added_after" not in params for _url, params in first)
    with IndicatorStore.open(SensorConfig(home=platform).indicators_path) as store:
        positions = {s.name: s.position for s in store.sources()}
    requests_made.clear()

    publish(centre, Tlp.CLEAR, "second.example")
    status, _out, err = sensor("pull")

    assert status == 0, err
    second = _objects_requests(requests_made)
    assert {url for url, _params in second} == {url for url, _params in first}
    for url, params in second:
        # The collection's position after the first pull, not a guess from the clock.
        assert params["added_after"] == positions[url.removesuffix("objects/")]
    assert sorted(stored(platform).values) == ["first.example", "second.example"]
    # Only the new indicator came back: one per collection holding TLP:CLEAR indicators.
    assert "added 1," in err
    assert "added 2," not in err

    requests_made.clear()
    status, _out, err = sensor("pull", "--full")
    assert status == 0, err
    assert all("added_after" not in params for _url, params in _objects_requests(requests_made))
    assert "added 2," in err
    assert sorted(stored(platform).values) == ["first.example", "second.example"]


@pytest.mark.django_db(transaction=True)
def test_a_revoked_indicator_disappears_from_the_store(
    platform: Path, centre: Organisation
) -> None:
    kept = publish(centre, Tlp.GREEN, "kept.example")
    gone = publish(centre, Tlp.GREEN, "revoked.example")
    assert sensor("pull")[0] == 0
    assert sorted(stored(platform).values) == ["kept.example", "revoked.example"]

    gone.revoked = True
    gone.save()
    status, _out, err = sensor("pull")

    assert status == 0, err
    assert stored(platform).values == ["kept.example"]
    assert "revoked 1," in err
    assert kept.pk  # untouched


@pytest.mark.django_db(transaction=True)
def test_an_expired_indicator_is_counted_not_matched(platform: Path, centre: Organisation) -> None:
    now = timezone.now()
    publish(
        centre,
        Tlp.GREEN,
        "old.example",
        first_seen=now - timedelta(days=9),
        valid_until=now - timedelta(days=1),
    )
    publish(
        centre,
        Tlp.GREEN,
        "soon.example",
        first_seen=now - timedelta(days=9),
        valid_until=now + timedelta(hours=1),
    )
    status, _out, err = sensor("pull")
    assert status == 0, err
    assert "expired 1," in err
    assert stored(platform).values == ["soon.example"]
    # Tomorrow the other one has expired too: the store keeps it, the matcher does not.
    assert stored(platform, datetime.now(UTC) + timedelta(days=1)).values == []

    status, _out, err = sensor("scan", "--no-warning-lists", str(DATA / "zeek_ssl_head.log"))
    assert status == 0, err
    assert "1 expired, not matched" in err


@pytest.mark.django_db(transaction=True)
def test_a_new_version_of_an_indicator_replaces_the_old_one(
    platform: Path, centre: Organisation
) -> None:
    row = publish(centre, Tlp.GREEN, "before.example")
    assert sensor("pull")[0] == 0
    [old_id] = stored(platform).ids

    row.value = "after.example"
    row.save()  # same STIX id, a later `modified`
    status, _out, err = sensor("pull")

    assert status == 0, err
    indicators = stored(platform)
    assert indicators.values == ["after.example"]
    assert indicators.ids == [old_id]
    assert "updated 1," in err


@pytest.mark.django_db(transaction=True)
def test_a_wrong_token_fails_with_one_line_naming_the_url(
    platform: Path, tmp_path: Path, live_server: Any
) -> None:
    wrong = tmp_path / "wrong-token"
    wrong.write_text("not-a-token\n")
    status, _out, err = sensor("pull", "--token-file", str(wrong))
    assert status == 1
    assert err.count("\n") == 1
    assert "401" in err
    assert f"{live_server.url}/taxii2/" in err
    assert "Traceback" not in err


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_platform_fails_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIGIE_HOME", str(tmp_path))
    url = f"http://127.0.0.1:{_closed_port()}"
    status, _out, err = sensor("pull", "--platform", url)
    assert status == 1
    assert err.count("\n") == 1
    assert f"{url}/taxii2/" in err


def test_a_pull_with_no_platform_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIGIE_HOME", str(tmp_path))
    monkeypatch.delenv("VIGIE_SENSOR_PLATFORM", raising=False)
    status, _out, err = sensor("pull")
    assert status == 2
    assert "VIGIE_SENSOR_PLATFORM" in err


def test_a_file_pulled_into_the_store_is_what_scan_matches_without_indicators(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIGIE_HOME", str(tmp_path))
    monkeypatch.delenv("VIGIE_SENSOR_PLATFORM", raising=False)
    log = str(DATA / "zeek_dns_head.log.gz")
    status, _out, err = sensor("scan", log)
    assert status == 1
    assert "vigie sensor pull" in err  # nothing pulled yet: said, not an empty scan

    source = tmp_path / "feed.csv"
    source.write_text("type,value\ndomain,wrccdc.org\nmd5,d41d8cd98f00b204e9800998ecf8427e\n")
    status, _out, err = sensor("pull", "--file", str(source))
    assert status == 0, err
    status, out, err = sensor("scan", log)
    assert status == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows
    assert {row["indicator"] for row in rows} == {"wrccdc.org"}
    # The empty file's hash is on a false-positive warning list: suppressed, and said so.
    assert "suppressed by warning list" in err

    # Pulled again, the file replaces what it loaded last time.
    source.write_text("type,value\ndomain,other.example\n")
    assert sensor("pull", "--file", str(source))[0] == 0
    assert stored(tmp_path).values == ["other.example"]
    status, out, _err = sensor("scan", log)
    assert status == 0
    assert out == ""


def test_an_unreadable_file_fails_and_the_others_still_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIGIE_HOME", str(tmp_path))
    good = tmp_path / "good.txt"
    good.write_text("evil.example\n")
    status, _out, err = sensor("pull", "--file", str(tmp_path / "missing"), "--file", str(good))
    assert status == 1
    assert "missing" in err
    assert stored(tmp_path).values == ["evil.example"]


def test_a_file_that_no_longer_reads_keeps_what_it_loaded_last_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIGIE_HOME", str(tmp_path))
    feed = tmp_path / "feed.json"
    bundle = {
        "type": "bundle",
        "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
        "objects": [_indicator(7, "2026-01-01T00:00:00.000Z")],
    }
    feed.write_text(json.dumps(bundle))
    assert sensor("pull", "--file", str(feed))[0] == 0
    assert stored(tmp_path).values == ["host7.stall.example"]
    feed.write_text('{"type": "bundle", "objects": [')  # cut short by a failed download
    status, _out, err = sensor("pull", "--file", str(feed))
    assert status == 1
    assert "bad_json" in err
    assert stored(tmp_path).values == ["host7.stall.example"]


def test_a_damaged_store_is_one_line_for_scan_and_pull(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIGIE_HOME", str(tmp_path))
    path = SensorConfig(home=tmp_path).indicators_path
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not an SQLite database, " * 100)
    status, _out, err = sensor("scan", str(DATA / "zeek_ssl_head.log"))
    assert status == 1
    assert str(path) in err
    good = tmp_path / "good.txt"
    good.write_text("evil.example\n")
    status, _out, err = sensor("pull", "--file", str(good))
    assert status == 1
    assert err.count("\n") == 1
    assert str(path) in err


def test_a_store_left_empty_by_a_killed_first_pull_means_no_indicators(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIGIE_HOME", str(tmp_path))
    path = SensorConfig(home=tmp_path).indicators_path
    path.parent.mkdir(parents=True)
    path.touch()
    status, _out, err = sensor("scan", str(DATA / "zeek_ssl_head.log"))
    assert status == 1
    assert "vigie sensor pull" in err


@pytest.mark.django_db(transaction=True)
def test_a_named_collection_is_the_only_one_pulled(
    platform: Path,
    centre: Organisation,
    requests_made: list[tuple[str, dict[str, str]]],
) -> None:
    publish(centre, Tlp.CLEAR, "clear.example")
    publish(centre, Tlp.AMBER, "amber.example")
    assert sensor("pull", "--collection", "nope")[0] == 1
    assert sensor("pull")[0] == 0  # learn the collections' ids from a first pull
    with IndicatorStore.open(SensorConfig(home=platform).indicators_path) as store:
        names = [s.name for s in store.sources()]
    requests_made.clear()
    status, _out, err = sensor(
        "pull", "--full", "--collection", names[0].rstrip("/").rsplit("/", 1)[1]
    )
    assert status == 0, err
    assert {url for url, _params in _objects_requests(requests_made)} == {names[0] + "objects/"}


# A pull killed half-way: a TAXII server of our own that stalls on page 2.


def _indicator(number: int, added: str) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{number:012d}",
        "created": added,
        "modified": added,
        "pattern": f"[domain-name:value = 'host{number}.stall.example']",
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
    }


class _StallingTaxii:
    """Page 1 (three indicators, `more`) answers at once; page 2 waits for `release`, so
    a pull can be killed while it waits. A request with `added_after` (a resumed pull) gets
    what follows that position, in one page."""

    added = [f"2026-01-01T00:00:0{n}.000000Z" for n in range(1, 6)]

    def __init__(self) -> None:
        self.release = threading.Event()
        self.stalled = threading.Event()
        self.queries: list[str] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                del args

            def do_GET(self) -> None:
                owner.handle(self)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def handle(self, request: http.server.BaseHTTPRequestHandler) -> None:
        path, _sep, query = request.path.partition("?")
        headers: dict[str, str] = {}
        if path == "/taxii2/":
            body: dict[str, Any] = {"title": "stall", "api_roots": ["/taxii2/root/"]}
        elif path == "/taxii2/root/collections/":
            body = {"collections": [{"id": "c1", "title": "Stall", "can_read": True}]}
        elif path == "/taxii2/root/collections/c1/objects/":
            self.queries.append(query)
            body, headers = self._objects(query)
        else:
            request.send_error(404)
            return
        data = json.dumps(body).encode()
        request.send_response(200)
        request.send_header("Content-Type", TAXII)
        request.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)

    def _objects(self, query: str) -> tuple[dict[str, Any], dict[str, str]]:
        if "next=page2" in query:
            self.stalled.set()
            self.release.wait(60)
            numbers = [4, 5]
            more = False
        elif "added_after" in query:
            numbers = [n for n in range(1, 6) if self.added[n - 1] > _added_after(query)]
            more = False
        else:
            numbers = [1, 2, 3]
            more = True
        objects = [_indicator(n, self.added[n - 1]) for n in numbers]
        body: dict[str, Any] = {"more": more, "objects": objects}
        if more:
            body["next"] = "page2"
        last = self.added[numbers[-1] - 1] if numbers else ""
        return body, {"X-TAXII-Date-Added-Last": last} if last else {}

    def __enter__(self) -> _StallingTaxii:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def _added_after(query: str) -> str:
    moment = parse_qs(query)["added_after"][0]
    return datetime.fromisoformat(moment).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.fixture
def stalling_taxii() -> Iterator[_StallingTaxii]:
    with _StallingTaxii() as server:
        yield server


_WITHOUT_DJANGO = (
    "import sys\n"
    "class Block:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name == 'django' or name.startswith('django.'):\n"
    "            raise ImportError('django is not installed here')\n"
    "sys.meta_path.insert(0, Block())\n"
    "from vigie.cli import main\n"
    "main()\n"
)


def test_a_pull_killed_mid_way_leaves_a_store_that_loads_and_the_next_pull_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stalling_taxii: _StallingTaxii
) -> None:
    env = {
        **os.environ,
        "VIGIE_HOME": str(tmp_path),
        "VIGIE_SENSOR_PLATFORM": stalling_taxii.url,
        "VIGIE_SENSOR_TOKEN": "sensor-token",
    }
    env.pop("VIGIE_SENSOR_ORGANISATION", None)
    env.pop("VIGIE_SENSOR_TOKEN_FILE", None)
    child = subprocess.Popen(
        [sys.executable, "-c", _WITHOUT_DJANGO, "sensor", "pull"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        # Page 2 is only asked for once page 1 is committed.
        assert stalling_taxii.stalled.wait(120), child.stderr.read() if child.stderr else ""
        child.send_signal(signal.SIGKILL)
        child.wait(60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(60)
        if child.stderr is not None:
            child.stderr.close()
    assert child.returncode == -signal.SIGKILL

    assert sorted(stored(tmp_path).values) == [f"host{n}.stall.example" for n in (1, 2, 3)]

    stalling_taxii.release.set()
    for name, value in env.items():
        if name.startswith("VIGIE_"):
            monkeypatch.setenv(name, value)
    status, _out, err = sensor("pull")
    assert status == 0, err
    resumed = stalling_taxii.queries[-1]
    assert "added_after=" in resumed
    assert sorted(stored(tmp_path).values) == [f"host{n}.stall.example" for n in range(1, 6)]
    # A pull that completed resumes from its position itself: nothing new, nothing read.
    assert sensor("pull")[0] == 0
    assert "next=" not in stalling_taxii.queries[-1]
    with IndicatorStore.open(SensorConfig(home=tmp_path).indicators_path) as store:
        [source] = store.sources()
    assert source.complete
    assert source.position == stalling_taxii.added[-1]

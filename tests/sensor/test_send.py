"""Sending the sensor's queue to the platform: sightings arrive aggregated with source
`sensor`; an unreachable platform or a refused token keeps them queued; a sighting the
platform refuses is set aside; and a sender killed with SIGKILL at any moment neither loses
a sighting nor gets one counted twice (each goes with its own idempotency key)."""

from __future__ import annotations

import io
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.taxii.support import publish
from vigie.api.tokens import create_token
from vigie.intel.models import Sighting, SightingReport, Tlp
from vigie.sensor import send_command
from vigie.sensor.cli import main
from vigie.sensor.config import SensorConfig
from vigie.sensor.queue import Aggregate, SightingQueue
from vigie.sensor.sender import send_due
from vigie.tenancy.models import Organisation

DATA = Path(__file__).resolve().parent.parent / "data" / "sensor"
SQUID_HOST = "pkfsp.ru"  # a host of the real Squid log in tests/data/sensor


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VIGIE_HOME", str(tmp_path / "home"))
    for name in ("VIGIE_SENSOR_TOKEN", "VIGIE_SENSOR_PLATFORM", "VIGIE_SENSOR_ORGANISATION"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "home"


def _platform(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, secret: str) -> Path:
    token = tmp_path / "token"
    token.write_text(secret + "\n")
    monkeypatch.setenv("VIGIE_SENSOR_PLATFORM", url)
    monkeypatch.setenv("VIGIE_SENSOR_ORGANISATION", "chu-alpha")
    monkeypatch.setenv("VIGIE_SENSOR_TOKEN_FILE", str(token))
    return token


def _aggregate(value: str, count: int = 1, log_type: str = "dns") -> Aggregate:
    return Aggregate(None, "domain", value, log_type, count, 1_765_000_000.0, 1_765_000_060.0)


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out, err)
    return status, out.getvalue(), err.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_scan_sends_its_aggregates_to_the_platform(
    live_server: Any,
    centre: Organisation,
    a_admin: Any,
    tmp_path: Path,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    indicator = publish(centre, Tlp.GREEN, SQUID_HOST)
    _row, secret = create_token(user=a_admin, name="sensor", scope="write")
    _platform(monkeypatch, tmp_path, live_server.url, secret)
    (tmp_path / "ind.csv").write_text(f"type,value\ndomain,{SQUID_HOST}\n")
    log = DATA / "fail2ban_squid_access.log"
    status, out, err = _run("scan", "--indicators", str(tmp_path / "ind.csv"), str(log))
    assert status == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines
    sighting = Sighting.objects.get(indicator=indicator)
    assert (sighting.count, sighting.source, sighting.log_type) == (len(lines), "sensor", "proxy")
    assert sighting.first_seen <= sighting.last_seen
    assert "Sent 1 sightings" in err
    # Nothing but the aggregate left: no log line, no client address.
    report = SightingReport.objects.get()
    assert report.key.startswith("vs-")
    status, out, _ = _run("status")
    assert "0 waiting, 1 sent" in out


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_platform_keeps_the_sightings_until_it_is_back(
    live_server: Any,
    centre: Organisation,
    a_admin: Any,
    tmp_path: Path,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    publish(centre, Tlp.GREEN, "c2.lockbit.example")
    _row, secret = create_token(user=a_admin, name="sensor", scope="write")
    _platform(monkeypatch, tmp_path, f"http://127.0.0.1:{_free_port()}", secret)
    home.joinpath("sensor").mkdir(parents=True)
    with SightingQueue(home / "sensor" / "queue.sqlite3") as queue:
        queue.enqueue([_aggregate("c2.lockbit.example", 3), _aggregate("c2.lockbit.example", 4)])
    status, _, err = _run("send")
    assert status == 1
    assert "cannot be reached" in err
    with SightingQueue(home / "sensor" / "queue.sqlite3") as queue:
        rows = queue.rows("pending")
        assert len(rows) == 2
        assert all(row.next_attempt_at > time.time() for row in rows)  # backoff
        assert queue.summary().last_error == "unreachable"
        # The platform is back; once the backoff is over they go, counted once each.
        config = SensorConfig.from_env(platform=live_server.url)
        report = send_due(queue, config, now=time.time() + 7200)
    assert (report.sent, report.retry) == (2, 0)
    assert Sighting.objects.get().count == 7


@pytest.mark.django_db(transaction=True)
def test_a_refused_token_keeps_everything_queued_and_says_why(
    live_server: Any,
    centre: Organisation,
    tmp_path: Path,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    publish(centre, Tlp.GREEN, "c2.lockbit.example")
    _platform(monkeypatch, tmp_path, live_server.url, "not-a-token")
    home.joinpath("sensor").mkdir(parents=True)
    with SightingQueue(home / "sensor" / "queue.sqlite3") as queue:
        queue.enqueue([_aggregate("c2.lockbit.example")])
    status, _, err = _run("send")
    assert status == 1
    assert "token was refused" in err
    with SightingQueue(home / "sensor" / "queue.sqlite3") as queue:
        assert queue.counts()["pending"] == 1
    assert not Sighting.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_sighting_the_platform_refuses_is_set_aside_not_retried(
    live_server: Any,
    centre: Organisation,
    a_admin: Any,
    tmp_path: Path,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    publish(centre, Tlp.GREEN, "c2.lockbit.example")
    _row, secret = create_token(user=a_admin, name="sensor", scope="write")
    _platform(monkeypatch, tmp_path, live_server.url, secret)
    home.joinpath("sensor").mkdir(parents=True)
    with SightingQueue(home / "sensor" / "queue.sqlite3") as queue:
        queue.enqueue(
            [
                _aggregate("c2.lockbit.example", log_type="no-such-log"),
                _aggregate("c2.lockbit.example", 2),
            ]
        )
    monkeypatch.setattr(send_command, "SEND_BATCH", 1)  # one round each: `send` goes on
    status, _, err = _run("send")
    assert status == 0, err
    assert "1 refused" in err
    with SightingQueue(home / "sensor" / "queue.sqlite3") as queue:
        (rejected,) = queue.rows("rejected")
        assert rejected.log_type == "no-such-log"
        assert rejected.last_status == 422
        assert queue.due(time.time() + 10**6, 10) == []
    assert Sighting.objects.get().count == 2
    assert "1 refused" in _run("status")[1]


class _Recorder(BaseHTTPRequestHandler):
    """A platform stand-in that records each POST and, while `hold` is set, never answers."""

    received: list[tuple[str, bytes]]
    arrived: threading.Event
    hold: threading.Event
    released: threading.Event

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.headers["Idempotency-Key"], body))
        self.arrived.set()
        if self.hold.is_set():
            self.released.wait(30)
            return
        answer = b'{"id": 1}'
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        del format, args


@pytest.fixture
def recorder() -> Iterator[tuple[ThreadingHTTPServer, type[_Recorder]]]:
    handler = type(
        "Handler",
        (_Recorder,),
        {
            "received": [],
            "arrived": threading.Event(),
            "hold": threading.Event(),
            "released": threading.Event(),
        },
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, handler
    handler.released.set()
    server.shutdown()
    server.server_close()


def _spawn_send(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "vigie.sensor", "send"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_a_sender_killed_while_waiting_for_the_answer_resends_the_same_report(
    recorder: tuple[ThreadingHTTPServer, type[_Recorder]], tmp_path: Path, home: Path
) -> None:
    server, handler = recorder
    token = tmp_path / "token"
    token.write_text("secret")
    env = {
        **os.environ,
        "VIGIE_HOME": str(home),
        "VIGIE_SENSOR_PLATFORM": f"http://127.0.0.1:{server.server_address[1]}",
        "VIGIE_SENSOR_ORGANISATION": "chu-alpha",
        "VIGIE_SENSOR_TOKEN_FILE": str(token),
    }
    home.joinpath("sensor").mkdir(parents=True)
    with SightingQueue(home / "sensor" / "queue.sqlite3") as queue:
        queue.enqueue([_aggregate("c2.lockbit.example", 5)])
    handler.hold.set()
    sender = _spawn_send(env)
    assert handler.arrived.wait(60)
    sender.send_signal(signal.SIGKILL)  # the platform has it; the sensor never heard back
    sender.wait(timeout=30)
    assert sender.returncode == -signal.SIGKILL
    handler.hold.clear()
    handler.released.set()
    again = _spawn_send(env)
    _, stderr = again.communicate(timeout=60)
    assert again.returncode == 0, stderr
    (first_key, first_body), (second_key, second_body) = handler.received
    assert first_key == second_key
    assert first_key.startswith("vs-")
    assert first_body == second_body
    sent = json.loads(first_body)
    assert (sent["count"], sent["source"], sent["value"]) == (5, "sensor", "c2.lockbit.example")
    with SightingQueue(home / "sensor" / "queue.sqlite3") as queue:
        assert queue.counts()["sent"] == 1


@pytest.mark.django_db(transaction=True)
def test_senders_killed_at_random_moments_get_each_sighting_counted_once(
    live_server: Any, centre: Organisation, a_admin: Any, tmp_path: Path, home: Path
) -> None:
    indicator = publish(centre, Tlp.GREEN, "c2.lockbit.example")
    _row, secret = create_token(user=a_admin, name="sensor", scope="write")
    token = tmp_path / "token"
    token.write_text(secret)
    env = {
        **os.environ,
        "VIGIE_HOME": str(home),
        "VIGIE_SENSOR_PLATFORM": live_server.url,
        "VIGIE_SENSOR_ORGANISATION": "chu-alpha",
        "VIGIE_SENSOR_TOKEN_FILE": str(token),
    }
    counts = list(range(1, 201))
    home.joinpath("sensor").mkdir(parents=True)
    with SightingQueue(home / "sensor" / "queue.sqlite3") as queue:
        queue.enqueue([_aggregate("c2.lockbit.example", n) for n in counts])
    pick = random.Random(29)
    killed = 0
    for _round in range(12):
        sender = _spawn_send(env)
        time.sleep(pick.uniform(0.2, 0.9))
        if sender.poll() is None:
            sender.send_signal(signal.SIGKILL)
            killed += 1
        sender.wait(timeout=30)
    final = _spawn_send(env)
    _, stderr = final.communicate(timeout=120)
    assert final.returncode == 0, stderr
    assert killed > 0
    sighting = Sighting.objects.get(indicator=indicator)
    assert sighting.count == sum(counts)
    assert SightingReport.objects.count() == len(counts)
    with SightingQueue(home / "sensor" / "queue.sqlite3") as queue:
        assert queue.counts() == {"pending": 0, "sent": len(counts), "rejected": 0}

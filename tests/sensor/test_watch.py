"""`vigie sensor watch`: live logs followed, sightings queued with the position reached in one
transaction, sent to the platform within seconds, and neither lost nor counted twice when
the sensor is killed with SIGKILL at any moment."""

from __future__ import annotations

import io
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.taxii.support import publish
from vigie.api.tokens import create_token
from vigie.intel.models import Indicator, Sighting, Tlp
from vigie.sensor.cli import main
from vigie.tenancy.models import Organisation

INDICATORS = "type,value\ndomain,evil.example\n"


def squid_line(host: str, moment: float = 1286536309.450) -> bytes:
    return (
        f"{moment:.3f} 12 10.0.0.7 TCP_MISS/200 1234 GET http://{host}/index.html - "
        f"DIRECT/93.184.216.34 text/html\n"
    ).encode()


def queued(home: Path) -> tuple[int, int]:
    """(rows, sightings counted) in the sensor's queue (none while it is being created)."""
    path = home / "sensor" / "queue.sqlite3"
    if not path.exists():
        return 0, 0
    with sqlite3.connect(path) as db:
        tables = db.execute("SELECT name FROM sqlite_master WHERE name = 'sightings'").fetchall()
        if not tables:
            return 0, 0
        rows, total = db.execute(
            "SELECT COUNT(*), COALESCE(SUM(count), 0) FROM sightings"
        ).fetchone()
    return int(rows), int(total)


def sent(home: Path) -> int:
    if queued(home)[0] == 0:
        return 0
    with sqlite3.connect(home / "sensor" / "queue.sqlite3") as db:
        (number,) = db.execute("SELECT COUNT(*) FROM sightings WHERE state = 'sent'").fetchone()
    return int(number)


@pytest.fixture
def sensor_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("VIGIE_HOME", str(home))
    for name in (
        "VIGIE_SENSOR_PLATFORM",
        "VIGIE_SENSOR_ORGANISATION",
        "VIGIE_SENSOR_TOKEN",
        "VIGIE_SENSOR_TOKEN_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "ind.csv").write_text(INDICATORS)
    return home


def watch_once(tmp_path: Path, log: Path, *extra: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["watch", "--once", "--indicators", str(tmp_path / "ind.csv"), *extra, str(log)], out, err
    )
    return status, out.getvalue(), err.getvalue()


def test_each_line_is_queued_once_across_runs(sensor_env: Path, tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(squid_line("a.evil.example") * 3 + squid_line("good.example"))
    status, out, err = watch_once(tmp_path, log)
    assert status == 0, err
    assert out.count('"indicator":"evil.example"') == 3
    assert queued(sensor_env) == (1, 3)  # one aggregate: indicator, log type, count
    assert watch_once(tmp_path, log)[1] == ""  # nothing new: nothing again
    assert queued(sensor_env) == (1, 3)
    with log.open("ab") as stream:
        stream.write(squid_line("b.evil.example"))
    status, out, _ = watch_once(tmp_path, log)
    assert '"line":5' in out
    assert queued(sensor_env) == (2, 4)


def test_dry_run_queues_nothing_and_shows_what_would_leave(
    sensor_env: Path, tmp_path: Path
) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(squid_line("a.evil.example"))
    status, _, err = watch_once(tmp_path, log, "--dry-run")
    assert status == 0
    assert '"value":"evil.example"' in err
    assert '"count":1' in err
    assert "10.0.0.7" not in err  # no log content leaves, not even in the preview
    assert not (sensor_env / "sensor" / "queue.sqlite3").exists()


def _spawn_watch(
    tmp_path: Path, log: Path, env: dict[str, str], *extra: str
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vigie.sensor",
            "watch",
            "--interval",
            "0.05",
            "--format",
            "none",
            "--indicators",
            str(tmp_path / "ind.csv"),
            *extra,
            str(log),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_sigkill_at_any_moment_neither_loses_nor_doubles_a_sighting(
    sensor_env: Path, tmp_path: Path
) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(b"")
    env = {**os.environ, "VIGIE_HOME": str(sensor_env)}
    shuffle = random.Random(17)
    written = 0
    rotated = False
    for round_ in range(8):
        watcher = _spawn_watch(tmp_path, log, env)
        for _burst in range(shuffle.randint(3, 8)):
            lines = shuffle.randint(50, 400)
            with log.open("ab") as stream:
                stream.write(
                    b"".join(
                        squid_line(f"h{n}.evil.example") if n % 3 else squid_line("good.example")
                        for n in range(lines)
                    )
                )
            written += sum(1 for n in range(lines) if n % 3)
            time.sleep(shuffle.uniform(0.0, 0.08))
        if round_ == 4 and not rotated:  # a rotation by rename while the sensor runs
            log.rename(tmp_path / "access.log.1")
            log.write_bytes(squid_line("after.rotation.evil.example"))
            written += 1
            rotated = True
            time.sleep(0.3)
        if round_ % 2:
            # Killed while it is at work: once it has queued something, with more to read.
            before = queued(sensor_env)[1]
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and queued(sensor_env)[1] <= before:
                time.sleep(0.01)
            with log.open("ab") as stream:
                stream.write(squid_line("burst.evil.example") * 2000)
            written += 2000
            time.sleep(shuffle.uniform(0.0, 0.05))
        else:
            time.sleep(shuffle.uniform(0.0, 0.3))
        watcher.send_signal(signal.SIGKILL)
        watcher.wait(timeout=30)
        assert watcher.returncode == -signal.SIGKILL
    status, _, err = watch_once(tmp_path, log)
    assert status == 0, err
    assert queued(sensor_env)[1] == written


def test_sigterm_ends_the_watch_cleanly(sensor_env: Path, tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_bytes(squid_line("a.evil.example"))
    env = {**os.environ, "VIGIE_HOME": str(sensor_env)}
    watcher = _spawn_watch(tmp_path, log, env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and queued(sensor_env)[1] < 1:
        time.sleep(0.05)
    watcher.send_signal(signal.SIGTERM)
    _, stderr = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, stderr
    assert b"Traceback" not in stderr
    assert queued(sensor_env) == (1, 1)


@pytest.mark.django_db(transaction=True)
def test_a_line_written_is_reported_to_the_platform_within_seconds(
    live_server: Any, centre: Organisation, a_admin: Any, tmp_path: Path, sensor_env: Path
) -> None:
    indicator: Indicator = publish(centre, Tlp.GREEN, "c2.lockbit.example")
    (tmp_path / "ind.csv").write_text("type,value\ndomain,c2.lockbit.example\n")
    _row, secret = create_token(user=a_admin, name="sensor", scope="write")
    token = tmp_path / "token"
    token.write_text(secret + "\n")
    log = tmp_path / "access.log"
    log.write_bytes(squid_line("good.example"))
    env = {
        **os.environ,
        "VIGIE_HOME": str(sensor_env),
        "VIGIE_SENSOR_PLATFORM": live_server.url,
        "VIGIE_SENSOR_ORGANISATION": "chu-alpha",
        "VIGIE_SENSOR_TOKEN_FILE": str(token),
    }
    watcher = _spawn_watch(tmp_path, log, env)
    try:
        time.sleep(0.5)
        with log.open("ab") as stream:
            stream.write(squid_line("www.c2.lockbit.example", time.time()) * 2)
        # The sensor marks a sighting sent once the platform has answered 201. Polling the
        # sensor's queue, not the platform's tables, keeps this test out of the live
        # server's way (SQLite in tests locks a table while it writes).
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and sent(sensor_env) < 1:
            time.sleep(0.1)
    finally:
        watcher.send_signal(signal.SIGTERM)
        _, stderr = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, stderr
    sighting = Sighting.objects.get(indicator=indicator)
    assert (sighting.count, sighting.source, sighting.log_type) == (2, "sensor", "proxy")
    assert sighting.organisation.slug == "chu-alpha"

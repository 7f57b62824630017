"""The sensor's local queue (`vigie.sensor.queue`): what a caller's transaction stores or
not, positions of followed logs, due order, backoff, and a file from a newer sensor."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import time
from pathlib import Path

import pytest

from vigie.sensor.queue import Aggregate, QueueError, SightingQueue
from vigie.sensor.sender import BACKOFF_CAP_S, retry_delay


def _aggregate(value: str, count: int = 1) -> Aggregate:
    return Aggregate("indicator--1", "domain", value, "dns", count, 100.0, 160.0)


def _interrupted(queue: SightingQueue) -> None:
    with queue.transaction() as conn:
        queue.enqueue([_aggregate("evil.example")], conn)
        queue.save_position(conn, "/var/log/a.log", 1, 2, 300, 4, "squid")
        raise RuntimeError("killed here")


def test_a_rolled_back_transaction_queues_nothing_and_moves_no_position(tmp_path: Path) -> None:
    with SightingQueue(tmp_path / "q.sqlite3") as queue:
        with pytest.raises(RuntimeError):
            _interrupted(queue)
        assert queue.counts() == {"pending": 0, "sent": 0, "rejected": 0}
        assert queue.positions() == {}
        with queue.transaction() as conn:
            queue.enqueue([_aggregate("evil.example")], conn)
            queue.save_position(conn, "/var/log/a.log", 1, 2, 300, 4, "squid")
        assert queue.counts()["pending"] == 1
        position = queue.positions()["/var/log/a.log"]
        assert (position.offset, position.line, position.format) == (300, 4, "squid")


def test_each_sighting_gets_its_own_key_and_a_frozen_body(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    with SightingQueue(path) as queue:
        queue.enqueue([_aggregate("a.example", 2), _aggregate("b.example", 3)])
        first, second = queue.due(10**10, 10)
    assert first.key != second.key
    assert first.key.startswith("vs-")
    body = json.loads(first.body)
    assert body == {
        "type": "domain",
        "value": "a.example",
        "indicator_id": "indicator--1",
        "log_type": "dns",
        "count": 2,
        "first_seen": "1970-01-01T00:01:40+00:00",
        "last_seen": "1970-01-01T00:02:40+00:00",
        "tlp": body["tlp"],
        "source": "sensor",
    }
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_sighting_waits_for_its_next_attempt(tmp_path: Path) -> None:
    with SightingQueue(tmp_path / "q.sqlite3") as queue:
        queue.enqueue([_aggregate("a.example"), _aggregate("b.example")])
        now = time.time()
        first, second = queue.due(now + 1, 10)
        queue.mark_retry(first.key, "unreachable", now + 1000)
        assert [row.key for row in queue.due(now + 10, 10)] == [second.key]
        queue.mark_sent(second.key, now + 10)
        assert [row.key for row in queue.due(now + 1000, 10)] == [first.key]
        queue.mark_rejected(first.key, "invalid", status=422)
        assert queue.due(10**10, 10) == []
        assert queue.counts() == {"pending": 0, "sent": 1, "rejected": 1}


def test_backoff_doubles_up_to_an_hour_and_honours_retry_after() -> None:
    assert [retry_delay(n, rand=lambda: 1.0) for n in (1, 2, 3)] == [5.0, 10.0, 20.0]
    assert retry_delay(1, rand=lambda: 0.0) == 2.5  # jitter: the upper half at random
    assert retry_delay(50, rand=lambda: 1.0) == BACKOFF_CAP_S
    assert retry_delay(1, 120.0, rand=lambda: 1.0) == 120.0
    assert retry_delay(1, 10**9, rand=lambda: 1.0) == BACKOFF_CAP_S


def test_a_queue_written_by_a_newer_sensor_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    SightingQueue(path).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(QueueError) as refused:
        SightingQueue(path)
    assert refused.value.code == "newer_schema"

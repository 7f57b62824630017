"""Real `vigie worker` processes killed with SIGKILL: nothing is lost, nothing needs an operator.

Each test runs the platform as production does (subprocesses of `vigie`, their own settings)
against the test's database: on PostgreSQL the test database itself (committed rows, flushed
after), on SQLite a fresh database file (the suite's SQLite test database lives in memory, out
of other processes' reach). The receivers run in this process and record every arrival, so
what arrived is compared with the outbox's rows: what one clean run delivers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.core.worker_harness import (
    Inbox,
    Platform,
    compare,
    smtp_server,
    wait_until,
    webhook_receiver,
)

WORKER_DIED = "vigie.core.recovery.WorkerDied"


@pytest.fixture
def platform(transactional_db: Any, tmp_path: Path) -> Iterator[Platform]:
    # Transactional: what the workers commit to the PostgreSQL test database is flushed after.
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        url += f"{db['PORT'] or 5432}/{db['NAME']}"
        platform = Platform(home=tmp_path / "home", database_url=url)
        platform.home.mkdir()
    else:
        platform = Platform(home=tmp_path / "home", database_url=None)
        platform.migrate()
    # Short beats keep the test quick; detection is DEAD_AFTER_BEATS of them either way.
    platform.settings["VIGIE_WORKER_HEARTBEAT_SECONDS"] = "1"
    try:
        yield platform
    finally:
        platform.stop_all()


def _report_when(platform: Platform, check: Any, *, timeout: float, what: str) -> Any:
    box: dict[str, Any] = {}

    def ready() -> bool:
        box["report"] = platform.harness("report")
        return bool(check(box["report"]))

    try:
        wait_until(ready, timeout=timeout, what=what, every=0.5)
    except AssertionError as exc:
        last = box.get("report", {})
        states = sorted((row["state"], row["attempts"]) for row in last.get("deliveries", []))
        running = [t for t in last.get("tasks", []) if t["status"] in ("RUNNING", "READY")]
        raise AssertionError(f"{exc}\n{states}\n{running}\n{platform.logs()}") from exc
    return box["report"]


def test_workers_killed_during_delivery_lose_nothing_and_resend_only_under_the_same_key(
    platform: Platform,
) -> None:
    inbox = Inbox()
    with webhook_receiver(inbox) as url, smtp_server(inbox) as (host, port):
        platform.settings.update(VIGIE_EMAIL_HOST=host, VIGIE_EMAIL_PORT=str(port))
        seeded = platform.harness(
            "seed", "--events", "12", "--emails-per-event", "2", "--webhook", url
        )
        assert seeded["deliveries"] == 36
        before = platform.harness("report")
        # Twelve commits, one waiting delivery task: the kicks are coalesced.
        kicks = [t for t in before["tasks"] if t["task_path"].endswith("deliver_pending")]
        assert len(kicks) == 1

        kills = []
        # The first worker dies while the SMTP server holds its message (the first row is an
        # e-mail); the second while the receiver holds a webhook, a few deliveries later.
        inbox.hold(1)
        first = platform.start_worker("--interval", "0.2")
        assert inbox.wait_held(1), platform.logs()
        kills.append((first.pid, platform.kill(first)))
        inbox.release()
        inbox.hold(1, after=3)
        second = platform.start_worker("--interval", "0.2")
        assert inbox.wait_held(1), platform.logs()
        kills.append((second.pid, platform.kill(second)))
        inbox.release()
        platform.start_worker("--interval", "0.2")

        expected = {row["public_id"] for row in before["deliveries"]}
        wait_until(
            lambda: expected <= inbox.delivered_ids(),
            timeout=120,
            what="every delivery received",
        )
        report = _report_when(
            platform,
            lambda r: (
                all(row["state"] == "sent" for row in r["deliveries"])
                and not any(t["status"] == "RUNNING" for t in r["tasks"])
            ),
            timeout=60,
            what="every row sent, no task left running",
        )

    result = compare(report, inbox.snapshot())
    assert result.lost == []
    assert result.unexpected == []
    assert result.duplicates_other_key == []
    assert result.bad_signatures == 0
    assert result.states == {"sent": 36}
    # Each held message reached its receiver before the kill, and came again after, under the
    # same key (Idempotency-Key, Message-ID): what receivers deduplicate on.
    assert result.duplicates_same_key == len(kills)

    dead = {row["pid"]: row for row in report["heartbeats"]}
    killed_ids = {dead[pid]["worker_id"] for pid, _at in kills}
    for pid, _at in kills:
        assert dead[pid]["died_at"] is not None
        assert dead[pid]["released_at"] is not None
    interrupted = [a for a in report["attempts"] if a["outcome"] == "interrupted"]
    assert {a["worker"] for a in interrupted} == killed_ids
    assert len(interrupted) == len(kills)
    # The delivery tasks the dead workers were running are failed, not left RUNNING forever;
    # the rows they held were delivered by the next delivery task.
    failed = [t for t in report["tasks"] if t["exception_class_path"] == WORKER_DIED]
    assert {t["worker_ids"][-1] for t in failed} == killed_ids
    assert all(t["status"] == "FAILED" for t in failed)
    assert {(i["worker_id"], i["action"]) for i in report["interrupted"]} == {
        (worker, "failed") for worker in killed_ids
    }


@pytest.mark.parametrize("backend", ["database", pytest.param("redis", marks=pytest.mark.redis)])
def test_tasks_of_killed_workers_are_failed_or_queued_again_by_kind(
    platform: Platform, tmp_path: Path, backend: str
) -> None:
    if backend == "redis":
        import redis

        url = "redis://127.0.0.1:6379/14"  # this test's own database of the machine's Redis
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        try:
            client.ping()
        except redis.exceptions.ConnectionError:
            pytest.fail("Redis is not running on 127.0.0.1:6379 (`.ci/run` starts it)")
        client.flushdb()
        platform.settings.update(VIGIE_TASKS_BACKEND="redis", VIGIE_REDIS_URL=url)
    # Heartbeats only: the recovering worker must notice the silence, as it would for workers
    # on another machine (the pid check would know at once).
    platform.settings["VIGIE_WORKER_PROCESS_CHECK"] = "0"
    markers = tmp_path / "markers"
    markers.mkdir()
    try:
        for task in ("rerunnable_step", "one_shot_step"):
            platform.harness("enqueue", f"tests.core.kill_tasks.{task}", f'["{markers}", "{task}"]')
        first, second = platform.start_worker(), platform.start_worker()
        wait_until(
            lambda: len(list(markers.glob("*.started.*"))) == 2,
            timeout=60,
            what=f"both tasks started\n{platform.logs()}",
        )
        platform.kill(first)
        platform.kill(second)
        for task in ("rerunnable_step", "one_shot_step"):
            (markers / f"{task}.go").touch()
        platform.start_worker()
        report = _report_when(
            platform,
            lambda r: (
                len(r["interrupted"]) == 2
                and all(
                    status == "SUCCESSFUL"
                    for task_id, status in r["results"].items()
                    if task_id in {i["new_task_id"] for i in r["interrupted"]}
                )
            ),
            timeout=90,
            what="both interruptions handled, the re-queued task done",
        )
    finally:
        if backend == "redis":
            client.flushdb()

    actions = {i["task_path"].rsplit(".", 1)[1]: i for i in report["interrupted"]}
    assert actions["rerunnable_step"]["action"] == "requeued"
    assert actions["one_shot_step"]["action"] == "failed"
    assert actions["one_shot_step"]["new_task_id"] == ""
    results = report["results"]
    assert results[actions["rerunnable_step"]["task_id"]] == "FAILED"
    assert results[actions["one_shot_step"]["task_id"]] == "FAILED"
    assert results[actions["rerunnable_step"]["new_task_id"]] == "SUCCESSFUL"
    # Run again from the start by another process; the one-shot task ran only once.
    assert len(list(markers.glob("rerunnable_step.done.*"))) == 1
    assert list(markers.glob("one_shot_step.done.*")) == []
    assert not any(t["status"] == "RUNNING" for t in report["tasks"])

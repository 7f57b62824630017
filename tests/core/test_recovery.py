"""Dead workers, in process: how a live worker judges the others and what it gives back.

The real thing (subprocesses killed with SIGKILL) is in test_worker_kills.py; these tests pin
each rule down on both databases without waiting for any clock.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.core import kill_tasks
from tests.notify.test_outbox import queue
from vigie.core import heartbeat, recovery
from vigie.core.models import InterruptedTask, WorkerHeartbeat
from vigie.notify import outbox
from vigie.notify.jobs import deliver_pending
from vigie.notify.models import Delivery, DeliveryState
from vigie.tenancy.models import Organisation


@pytest.fixture
def database_backend(db: Any, settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.VIGIE_TASKS_BACKEND = "database"


def judge(worker_id: str = "judge", *, steady: bool = True) -> recovery.Judge:
    """A live worker; `steady`: its last two beats got through, one interval apart."""
    judge = recovery.Judge(worker_id=worker_id, interval=2)
    heartbeat.beat(worker_id, "database", timezone.now(), interval=2)
    if steady:
        judge.beat_written()
        judge.beat_written()
    return judge


def worker(worker_id: str, *, silent_for: float = 0, pid: int = 999_999, key: str = "") -> None:
    heartbeat.beat(worker_id, "database", timezone.now(), interval=2)
    WorkerHeartbeat.objects.filter(worker_id=worker_id).update(
        last_seen=heartbeat.database_now() - timedelta(seconds=silent_for),
        pid=pid,
        process_key=key,
    )


def running(task: Any, worker_id: str, *args: Any) -> str:
    """A task row claimed by `worker_id`, as django-tasks-db's worker leaves it while it runs."""
    result = task.enqueue(*args)
    row = DBTaskResult.objects.get(id=result.id)
    row.claim(worker_id)
    return str(row.id)


@pytest.fixture
def gone_pid() -> int:
    """The pid of a process of this machine that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(30)
    return child.pid


def test_a_worker_silent_for_four_beats_is_dead_and_everything_it_held_is_given_back(
    database_backend: None, est_a: Organisation
) -> None:
    worker("dead", silent_for=2 * heartbeat.DEAD_AFTER_BEATS + 1)
    [pk] = queue(est_a, 1)
    assert outbox.try_claim(pk, "dead")
    kick = running(deliver_pending, "dead")
    step = running(kill_tasks.rerunnable_step, "dead", "/nowhere", "step")

    found = recovery.recover(judge())

    assert found.dead == ["dead"]
    assert found.rows == {"notify-deliveries": 1}
    row = WorkerHeartbeat.objects.get(worker_id="dead")
    assert (row.declared_dead_by, row.died_at is not None, row.released_at is not None) == (
        "judge",
        True,
        True,
    )
    delivery = Delivery.objects.get(pk=pk)
    assert (delivery.state, delivery.attempts, delivery.claimed_by) == (DeliveryState.RETRY, 1, "")
    # A first interruption is retried at once, first in line.
    assert outbox.candidates()[0] == pk
    assert delivery.attempt_log.get().outcome == "interrupted"
    failed = DBTaskResult.objects.get(id=kick)
    assert (failed.status, failed.exception_class_path) == (
        "FAILED",
        "vigie.core.recovery.WorkerDied",
    )
    # The re-runnable task is queued again with its arguments; the dead one's row is failed.
    requeued = InterruptedTask.objects.get(task_id=step)
    assert requeued.action == "requeued"
    again = DBTaskResult.objects.get(id=requeued.new_task_id)
    assert (again.status, again.args_kwargs["args"]) == ("READY", ["/nowhere", "step"])
    assert DBTaskResult.objects.get(id=step).status == "FAILED"
    assert InterruptedTask.objects.get(task_id=kick).action == "failed"
    assert not DBTaskResult.objects.filter(status="RUNNING").exists()


def test_a_worker_that_beats_is_left_alone(database_backend: None) -> None:
    worker("alive", silent_for=1)
    kick = running(deliver_pending, "alive")
    assert recovery.recover(judge()).dead == []
    assert DBTaskResult.objects.get(id=kick).status == "RUNNING"
    assert WorkerHeartbeat.objects.get(worker_id="alive").died_at is None


def test_a_judge_whose_own_beats_were_late_takes_nobody_for_dead_by_silence(db: Any) -> None:
    # The database stalled: every heartbeat is late at once, the judge's as well.
    worker("silent", silent_for=60)
    assert recovery.recover(judge(steady=False)).dead == []
    assert recovery.recover(judge("steady")).dead == ["silent"]


def test_a_worker_of_this_machine_whose_process_is_gone_is_dead_at_once(
    db: Any, gone_pid: int
) -> None:
    worker("restarted", silent_for=0, pid=gone_pid, key=heartbeat.process_key())
    # Even a judge that just started (no steady beats yet) may trust the kernel.
    assert recovery.recover(judge(steady=False)).dead == ["restarted"]


def test_the_process_check_can_be_turned_off(db: Any, gone_pid: int, settings: Any) -> None:
    settings.VIGIE_WORKER_PROCESS_CHECK = False
    worker("restarted", silent_for=0, pid=gone_pid, key=heartbeat.process_key())
    assert recovery.recover(judge()).dead == []


def test_a_process_in_another_pid_namespace_is_judged_by_its_heartbeat_only(
    db: Any, gone_pid: int
) -> None:
    worker("elsewhere", silent_for=0, pid=gone_pid, key="another-machine:1")
    assert recovery.recover(judge()).dead == []


def test_two_live_workers_recover_a_dead_one_once(database_backend: None) -> None:
    worker("dead", silent_for=60)
    kick = running(deliver_pending, "dead")
    first, second = judge("first"), judge("second")
    assert recovery.recover(first).dead == ["dead"]
    assert recovery.recover(second).dead == []
    assert InterruptedTask.objects.filter(task_id=kick).count() == 1


def test_a_dead_worker_whose_recoverer_died_too_is_finished_by_another(
    database_backend: None,
) -> None:
    worker("dead", silent_for=60)
    kick = running(deliver_pending, "dead")
    # Declared dead by a worker killed before it had released anything.
    WorkerHeartbeat.objects.filter(worker_id="dead").update(
        died_at=timezone.now(), declared_dead_by="also-dead"
    )
    assert recovery.recover(judge()).dead == ["dead"]
    assert DBTaskResult.objects.get(id=kick).status == "FAILED"


def test_a_worker_taken_for_dead_by_mistake_says_so_and_is_judged_again(db: Any) -> None:
    worker("slow", silent_for=60)
    assert recovery.recover(judge()).dead == ["slow"]
    beat = heartbeat.beat("slow", "database", timezone.now(), interval=2)
    assert beat.was_declared_dead
    row = WorkerHeartbeat.objects.get(worker_id="slow")
    assert (row.died_at, row.released_at, row.declared_dead_by) == (None, None, "")
    assert not heartbeat.beat("slow", "database", timezone.now(), interval=2).was_declared_dead


def test_a_clean_stop_gives_back_what_the_worker_held_and_is_not_a_death(
    database_backend: None, est_a: Organisation
) -> None:
    worker("leaving")
    [pk] = queue(est_a, 1)
    assert outbox.try_claim(pk, "leaving")
    recovery.release_own("leaving")
    row = WorkerHeartbeat.objects.get(worker_id="leaving")
    assert (row.stopped_at is not None, row.died_at) == (True, None)
    assert Delivery.objects.get(pk=pk).state == DeliveryState.RETRY
    assert recovery.recover(judge()).dead == []


def test_tasks_left_running_by_workers_gone_for_a_day_are_released(
    database_backend: None,
) -> None:
    kick = running(deliver_pending, "forgotten")  # no heartbeat row at all
    DBTaskResult.objects.filter(id=kick).update(started_at=timezone.now() - timedelta(days=2))
    recent = running(deliver_pending, "unknown-but-recent")
    assert recovery.release_orphans() == 1
    assert DBTaskResult.objects.get(id=kick).status == "FAILED"
    assert DBTaskResult.objects.get(id=recent).status == "RUNNING"


def test_only_registered_tasks_are_run_again() -> None:
    assert recovery.is_rerunnable(kill_tasks.rerunnable_step.module_path)
    assert not recovery.is_rerunnable(kill_tasks.one_shot_step.module_path)
    assert not recovery.is_rerunnable(deliver_pending.module_path)
    assert not recovery.is_rerunnable("vigie.no_such_module.task")

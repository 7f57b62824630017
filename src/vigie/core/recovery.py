"""Dead workers: noticed by the live ones within seconds, their work given back at once.

Every live worker's scheduler thread calls `recover()` after each heartbeat. A worker is dead
when its heartbeat row is older than DEAD_AFTER_BEATS of its own interval (by the database's
clock), or, for workers on the same machine and PID namespace, as soon as its pid no longer
runs. The first live worker to see it marks the row (`died_at`, a compare-and-set on the
beat count it read, so a beat that lands meanwhile wins) and releases its work:

* tasks it was running (rows of django-tasks-db, or jobs in RQ's started registry) are marked
  failed with `WorkerDied`, and those whose function was registered with `rerun_if_interrupted`
  are enqueued again with the same arguments. Periodic jobs are not re-run: their next slot does
  the job. Each is recorded as an InterruptedTask (operations page, /healthz);
* every app's releaser (`register_releaser`) gives back the rows it held: the outbox puts its
  "sending" deliveries back in the queue and kicks delivery.

Then `released_at` is set; a recovering worker that dies half-way leaves `released_at` empty and
the next live worker to tick finishes the job. All of this is idempotent and conditional, so two
workers recovering the same dead one at once do each thing once.

A worker judges others by age only when its own previous beat was recent: when the database
stalls (a long write on SQLite, a failover), every heartbeat is late at once, and the one that
gets through first must not take the others for dead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import TaskResultStatus, task_backends
from django_tasks.base import Task

from vigie.core import heartbeat
from vigie.core.models import InterruptedAction, InterruptedTask, WorkerHeartbeat

logger = logging.getLogger(__name__)


class WorkerDied(Exception):
    """Recorded as the failure of a task whose worker died while running it."""


# --- Registries -----------------------------------------------------------------------------

_rerunnable: set[str] = set()
Releaser = Callable[[list[str], datetime], int]
_releasers: dict[str, Releaser] = {}


def rerun_if_interrupted(task: Task[Any, Any]) -> Task[Any, Any]:
    """Declare that `task` may run again from the start after its worker died mid-way.

    Register a task here only if running it twice with the same arguments gives the same result
    as running it once (it checks what is already done, or works in one transaction), and if a
    second run overlapping a first that was wrongly taken for dead does no harm. Call it where
    the task is defined, e.g. `match_inventory = rerun_if_interrupted(match_inventory)` in the
    app's jobs.py: recovery imports the task's module before deciding, so the registration is
    always seen. Tasks not registered are marked failed and left to their next trigger.
    """
    _rerunnable.add(task.module_path)
    return task


def is_rerunnable(task_path: str) -> bool:
    if task_path not in _rerunnable:
        try:
            import_string(task_path)  # registers it, if its module does
        except ImportError:
            return False
    return task_path in _rerunnable


def register_releaser(name: str, release: Releaser) -> None:
    """`release(dead worker ids, now) -> count` gives back the app's rows those workers held.

    Called by a live worker's scheduler thread: it must be quick (a few indexed UPDATEs), never
    wait on the network, and be idempotent (it may be called again for the same workers).
    """
    _releasers[name] = release


# --- Recovery -------------------------------------------------------------------------------


@dataclass(slots=True)
class Recovery:
    dead: list[str] = field(default_factory=list)
    tasks: int = 0
    rows: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Judge:
    """The recovering worker's memory between ticks: when its own last beats got through."""

    worker_id: str
    interval: float
    last_beat: float | None = None
    previous_beat: float | None = None

    def beat_written(self) -> None:
        self.previous_beat, self.last_beat = self.last_beat, time.monotonic()

    @property
    def may_judge_by_age(self) -> bool:
        # Two beats in a row that got through within two intervals: the database is answering.
        if self.last_beat is None or self.previous_beat is None:
            return False
        return self.last_beat - self.previous_beat <= 2 * self.interval + 1


def recover(judge: Judge) -> Recovery:
    """Find dead workers, claim each, and release what it held (one scheduler tick)."""
    outcome = Recovery()
    rows = list(
        WorkerHeartbeat.objects.filter(stopped_at__isnull=True, released_at__isnull=True).exclude(
            worker_id=judge.worker_id
        )
    )
    if not rows:
        return outcome
    db_now = heartbeat.database_now()
    local = heartbeat.process_key() if settings.VIGIE_WORKER_PROCESS_CHECK else ""
    for row in rows:
        if row.died_at is None:
            gone = bool(local) and row.process_key == local and heartbeat.pid_is_gone(row.pid)
            late = judge.may_judge_by_age and heartbeat.is_late(row, db_now)
            if not (gone or late):
                continue
            claimed = WorkerHeartbeat.objects.filter(
                pk=row.pk, died_at__isnull=True, stopped_at__isnull=True, beats=row.beats
            ).update(died_at=timezone.now(), declared_dead_by=judge.worker_id)
            if not claimed:
                continue  # it beat meanwhile, or another worker is recovering it
            why = (
                "its process is gone"
                if gone
                else f"silent for {heartbeat.silence(row, db_now):.0f} s"
            )
            logger.warning("worker %s is dead (%s): giving its work back", row.worker_id, why)
        # Declared dead but not released yet: by this worker at a tick that failed half-way,
        # or by one that died while releasing it. Releasing is idempotent and every step is
        # conditional, so whoever sees it finishes it, even if two do so at once.
        counts = release([row.worker_id])
        outcome.dead.append(row.worker_id)
        outcome.tasks += counts.tasks
        for name, count in counts.rows.items():
            outcome.rows[name] = outcome.rows.get(name, 0) + count
        WorkerHeartbeat.objects.filter(pk=row.pk, released_at__isnull=True).update(
            released_at=timezone.now()
        )
    return outcome


def release(worker_ids: list[str]) -> Recovery:
    """Give back everything `worker_ids` held: their tasks, then every app's rows."""
    now = timezone.now()
    outcome = Recovery(dead=list(worker_ids))
    outcome.tasks = release_tasks(worker_ids, now)
    for name, releaser in _releasers.items():
        outcome.rows[name] = releaser(list(worker_ids), now)
    return outcome


def release_own(worker_id: str) -> Recovery:
    """A clean stop: give back what this worker still holds, then say it stopped."""
    outcome = release([worker_id])
    heartbeat.mark_stopped(worker_id)
    return outcome


# --- Tasks of dead workers ----------------------------------------------------------------------


def release_tasks(worker_ids: Iterable[str], now: datetime) -> int:
    """Tasks the workers were running: failed, or queued again when registered as re-runnable."""
    dead = set(worker_ids)
    released = 0
    for alias in task_backends:
        # By module name: importing django_tasks_rq needs django_rq configured, which only the
        # Redis setup does. The immediate backend keeps no task state to release.
        package = type(task_backends[alias]).__module__.split(".", 1)[0]
        if package == "django_tasks_db":
            released += _release_database_tasks(alias, dead, now)
        elif package == "django_tasks_rq":
            released += _release_rq_jobs(dead, now)
    return released


def _note(worker: str, started: datetime | None) -> str:
    since = f" (it started at {started.isoformat()})" if started else ""
    return f"the worker {worker} died while running this task{since}"


def _record(
    *,
    task_id: str,
    task_path: str,
    worker: str,
    backend: str,
    started: datetime | None,
    now: datetime,
    args: list[Any],
    kwargs: dict[str, Any],
    queue_name: str,
) -> None:
    new_id = ""
    if is_rerunnable(task_path):
        task = import_string(task_path)
        new_id = str(task.using(queue_name=queue_name).enqueue(*args, **kwargs).id)
        logger.warning(
            "task %s (%s) of dead worker %s queued again as %s", task_path, task_id, worker, new_id
        )
    else:
        logger.warning("task %s (%s) of dead worker %s marked failed", task_path, task_id, worker)
    InterruptedTask.objects.create(
        task_id=task_id[:64],
        task_path=task_path[:255],
        worker_id=worker[:64],
        backend=backend,
        started_at=started,
        detected_at=now,
        action=InterruptedAction.REQUEUED if new_id else InterruptedAction.FAILED,
        new_task_id=new_id[:64],
    )


def _release_database_tasks(alias: str, dead: set[str], now: datetime) -> int:
    from django_tasks_db.models import DBTaskResult

    released = 0
    running = DBTaskResult.objects.filter(backend_name=alias, status=TaskResultStatus.RUNNING)
    fields = ("id", "task_path", "worker_ids", "started_at", "queue_name", "args_kwargs")
    for row in running.only(*fields):
        worker = row.worker_ids[-1] if row.worker_ids else ""
        if worker not in dead:
            continue
        with transaction.atomic():
            changed = DBTaskResult.objects.filter(
                id=row.id, status=TaskResultStatus.RUNNING, started_at=row.started_at
            ).update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=f"{WorkerDied.__module__}.{WorkerDied.__qualname__}",
                traceback=_note(worker, row.started_at),
            )
            if not changed:
                continue  # it finished meanwhile: the worker was not dead after all
            _record(
                task_id=str(row.id),
                task_path=row.task_path,
                worker=worker,
                backend="database",
                started=row.started_at,
                now=now,
                args=list(row.args_kwargs.get("args", [])),
                kwargs=dict(row.args_kwargs.get("kwargs", {})),
                queue_name=row.queue_name,
            )
        released += 1
    return released


def _release_rq_jobs(dead: set[str], now: datetime) -> int:
    import django_rq
    from django_tasks_rq.backend import Job
    from rq.exceptions import NoSuchJobError
    from rq.job import JobStatus
    from rq.job_lifecycle import record_job_failure

    released = 0
    for name in getattr(settings, "RQ_QUEUES", {}):
        queue = django_rq.get_queue(name, job_class=Job)
        registry = queue.started_job_registry
        for job_id in registry.get_job_ids(cleanup=False):
            try:
                job = Job.fetch(job_id, connection=queue.connection)
            except NoSuchJobError:
                continue
            if job.worker_name not in dead or job.get_status() != JobStatus.STARTED:
                continue
            started = job.started_at
            if started is not None and timezone.is_naive(started):
                started = started.replace(tzinfo=UTC)  # RQ keeps UTC
            with queue.connection.pipeline() as pipeline:
                record_job_failure(job, _note(job.worker_name, started), pipeline)
                registry.remove_executions(job, pipeline)
                pipeline.execute()
            _record(
                task_id=str(job.id),
                task_path=job.func_name or "",
                worker=job.worker_name,
                backend="redis",
                started=started,
                now=now,
                args=list(job.args),
                kwargs=dict(job.kwargs),
                queue_name=job.origin,
            )
            released += 1
    return released


# --- Housekeeping --------------------------------------------------------------------------------


def release_orphans(now: datetime | None = None) -> int:
    """Tasks left running by workers whose heartbeat is long gone (pruned after a day).

    The daily bookkeeping, and each worker at start, look for these: rows left `RUNNING` by
    kills before this version, or by a dead worker nobody noticed because no worker ran for a day.
    """
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    known = set(WorkerHeartbeat.objects.values_list("worker_id", flat=True))
    orphans: set[str] = set()
    running = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=now - timedelta(days=1)
    )
    for worker_ids in running.values_list("worker_ids", flat=True):
        worker = worker_ids[-1] if worker_ids else ""
        if worker not in known:
            orphans.add(worker)
    if not orphans:
        return 0
    return release_tasks(orphans, now)

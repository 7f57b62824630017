"""Periodic jobs, scheduled by the workers themselves.

Each job has a period; time is cut into slots aligned on the epoch (plus an offset, e.g. daily at
05:30 UTC). Every worker, every few seconds, tries to insert (job, current slot) into JobRun; the
unique constraint lets exactly one worker per slot win and enqueue the task, however many workers
run on however many machines. A worker that was down does not replay missed slots: it runs the
current one, which is what refresh and digest jobs want.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks.base import Task

from vigie.core.models import JobRun

logger = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    name: str
    task: Task[Any, Any]
    every: timedelta
    offset: timedelta = timedelta(0)
    enabled: Callable[[], bool] = lambda: True

    def slot(self, now: datetime) -> datetime:
        elapsed = now - EPOCH - self.offset
        periods = elapsed // self.every
        return EPOCH + self.offset + periods * self.every


_jobs: dict[str, PeriodicJob] = {}


def register(job: PeriodicJob) -> PeriodicJob:
    _jobs[job.name] = job
    return job


def registered_jobs() -> list[PeriodicJob]:
    return sorted(_jobs.values(), key=lambda job: job.name)


def schedule_due_jobs(worker_id: str, now: datetime | None = None) -> list[str]:
    """Enqueue the jobs whose current slot no worker has claimed yet; returns their names.

    Called at every heartbeat by every worker: one SELECT finds the slots already taken, so the
    usual tick writes nothing (a failed INSERT would still take SQLite's write lock).
    """
    now = now or timezone.now()
    enqueued: list[str] = []
    due = {job.name: (job, job.slot(now)) for job in registered_jobs() if job.enabled()}
    taken = set(
        JobRun.objects.filter(job__in=list(due), slot__in={slot for _job, slot in due.values()})
        .order_by()
        .values_list("job", "slot")
    )
    for name, (job, slot) in sorted(due.items()):
        if (name, slot) in taken:
            continue
        try:
            with transaction.atomic():
                JobRun.objects.create(job=job.name, slot=slot, worker_id=worker_id)
                # Enqueued inside the transaction: with the database backend both rows commit
                # together, so a crash cannot leave a claimed slot without its task.
                job.task.enqueue()
        except IntegrityError:
            continue
        logger.info("scheduled %s for slot %s", job.name, slot.isoformat())
        enqueued.append(job.name)
    return enqueued


# --- Watchers: quick checks every worker makes at every heartbeat ------------------------------

Watcher = Callable[[], object]
_watchers: dict[str, Watcher] = {}


def register_watcher(name: str, watcher: Watcher) -> None:
    """Run `watcher()` in every worker's scheduler thread, at every heartbeat.

    For the safety nets that must never wait behind queued work (e.g. the outbox's check for
    due and stuck deliveries). A watcher must be quick (indexed queries) and never wait on the
    network; it may enqueue tasks.
    """
    _watchers[name] = watcher


def run_watchers() -> None:
    for name in sorted(_watchers):
        _watchers[name]()


def prune_job_runs(keep: timedelta = timedelta(days=30)) -> int:
    deleted, _ = JobRun.objects.filter(slot__lt=timezone.now() - keep).delete()
    return deleted

"""Housekeeping tasks of the platform, and their schedule."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from vigie.accounts.throttle import prune_failures
from vigie.core import recovery, scheduling
from vigie.core.heartbeat import prune_heartbeats
from vigie.core.models import InterruptedTask


@task()
def prune_login_failures() -> int:
    return prune_failures()


@task()
def prune_bookkeeping() -> dict[str, int]:
    """Old job-slot claims, heartbeats of workers long gone, finished task results, records of
    interrupted tasks; and tasks left running by workers whose heartbeat is long gone."""
    cutoff = timezone.now() - timedelta(days=14)
    orphans = recovery.release_orphans()
    old_results, _ = DBTaskResult.objects.filter(finished_at__lt=cutoff).delete()
    old_interruptions, _ = InterruptedTask.objects.filter(detected_at__lt=cutoff).delete()
    return {
        "job_runs": scheduling.prune_job_runs(),
        "heartbeats": prune_heartbeats(),
        "task_results": old_results,
        "interrupted_tasks": old_interruptions,
        "orphan_tasks": orphans,
    }


scheduling.register(
    scheduling.PeriodicJob(
        name="prune-login-failures", task=prune_login_failures, every=timedelta(hours=1)
    )
)
scheduling.register(
    scheduling.PeriodicJob(
        name="prune-bookkeeping",
        task=prune_bookkeeping,
        every=timedelta(days=1),
        offset=timedelta(hours=3, minutes=17),
    )
)

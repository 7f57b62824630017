"""Housekeeping tasks of the platform, and their schedule."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from vigie.accounts.throttle import prune_failures
from vigie.core import scheduling
from vigie.core.heartbeat import prune_heartbeats


@task()
def prune_login_failures() -> int:
    return prune_failures()


@task()
def prune_bookkeeping() -> dict[str, int]:
    """Old job-slot claims, heartbeats of workers long gone, finished task results."""
    old_results, _ = DBTaskResult.objects.filter(
        finished_at__lt=timezone.now() - timedelta(days=14)
    ).delete()
    return {
        "job_runs": scheduling.prune_job_runs(),
        "heartbeats": prune_heartbeats(),
        "task_results": old_results,
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

"""The daily readiness snapshots: one row per establishment and day (a second run the same day
updates that row, whatever the number of workers)."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from vigie.core import scheduling
from vigie.readiness.scores import record_snapshots


@task()
def record_readiness_snapshots() -> dict[str, int]:
    return {"establishments": record_snapshots()}


scheduling.register(
    scheduling.PeriodicJob(
        name="readiness-snapshots",
        task=record_readiness_snapshots,
        every=timedelta(days=1),
        offset=timedelta(hours=4, minutes=20),  # 04:20 UTC, after the night's feeds and backups
    )
)

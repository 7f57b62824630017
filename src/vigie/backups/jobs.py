"""The hourly backup check: every set evaluated, each problem episode notified once (its
`ProblemNotice` row), even when two runs overlap or one is killed."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from vigie.backups import actions
from vigie.core import scheduling


@task()
def run_backup_checks() -> dict[str, int]:
    run = actions.check_all()
    return {"sets": run.sets, "notified": run.notified}


scheduling.register(
    scheduling.PeriodicJob(
        name="backup-checks",
        task=run_backup_checks,
        every=timedelta(hours=1),
        offset=timedelta(minutes=7),
    )
)

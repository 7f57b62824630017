"""The review reminders: a daily periodic job (each reminder sent once per plan and due date
thanks to its `ReviewReminder` row, even if two runs overlap)."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from vigie.continuity import actions
from vigie.core import scheduling


@task()
def send_continuity_reminders() -> dict[str, int]:
    run = actions.send_review_reminders()
    return {"sent": run.sent, "plans": run.plans}


scheduling.register(
    scheduling.PeriodicJob(
        name="continuity-reviews",
        task=send_continuity_reminders,
        every=timedelta(days=1),
        offset=timedelta(hours=6, minutes=10),
    )
)

"""The deadline reminders: a periodic job (once per slot whatever the number of workers;
each reminder is sent once thanks to its `Reminder` row, even if two runs overlap)."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from vigie.core import scheduling
from vigie.incidents import actions


@task()
def send_incident_reminders() -> dict[str, int]:
    run = actions.send_due_reminders()
    return {"sent": run.sent, "incidents": run.incidents}


scheduling.register(
    scheduling.PeriodicJob(
        name="incident-reminders",
        task=send_incident_reminders,
        every=timedelta(minutes=5),
        offset=timedelta(seconds=50),
    )
)

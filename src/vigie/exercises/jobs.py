"""The daily reminder of overdue exercise actions (each notice sent once: `ActionReminder`)."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from vigie.core import scheduling
from vigie.exercises import actions


@task()
def send_exercise_action_reminders() -> dict[str, int]:
    run = actions.send_overdue_reminders()
    return {"sent": run.sent, "overdue": run.overdue}


scheduling.register(
    scheduling.PeriodicJob(
        name="exercise-actions",
        task=send_exercise_action_reminders,
        every=timedelta(days=1),
        offset=timedelta(hours=6, minutes=10),
    )
)

"""People who join an assignment's audience after it was made hear of it too: a periodic job
(each person once, thanks to the `AssignmentNotice` marker, even if two runs overlap)."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from vigie.core import scheduling
from vigie.training import actions


@task()
def tell_training_newcomers() -> dict[str, int]:
    return {"sent": actions.tell_newcomers()}


scheduling.register(
    scheduling.PeriodicJob(
        name="training-newcomers",
        task=tell_training_newcomers,
        every=timedelta(hours=1),
        offset=timedelta(minutes=17),
    )
)

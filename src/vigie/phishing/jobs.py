"""The sender of the simulations: every minute, up to `rate` messages per running campaign."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from vigie.core import scheduling
from vigie.phishing import actions


@task()
def send_phishing() -> dict[str, int]:
    run = actions.send_due()
    return {"sent": run.sent, "campaigns": run.campaigns, "finished": run.finished}


scheduling.register(
    scheduling.PeriodicJob(
        name="phishing-send",
        task=send_phishing,
        every=timedelta(minutes=1),
        offset=timedelta(seconds=20),
    )
)

"""Background tasks of the notification outbox, and their schedule (registered on import)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django_tasks import task

from vigie.core import scheduling
from vigie.notify import outbox


@task()
def deliver_pending() -> dict[str, int]:
    """Enqueued when a transaction that wrote deliveries commits."""
    counts = outbox.deliver_due()
    if sum(counts.values()) >= settings.VIGIE_NOTIFY_BATCH_SIZE:
        # More may be waiting (a large fan-out): continue in a fresh task rather than hold
        # this worker, so other kinds of tasks get their turn.
        deliver_pending.enqueue()
    return counts


@task()
def sweep_outbox() -> dict[str, int]:
    """Every minute: rows of stopped workers back in the queue, due retries sent."""
    return outbox.sweep()


@task()
def prune_deliveries() -> int:
    return outbox.prune()


scheduling.register(
    scheduling.PeriodicJob(name="notify-sweep", task=sweep_outbox, every=timedelta(minutes=1))
)
scheduling.register(
    scheduling.PeriodicJob(
        name="notify-prune",
        task=prune_deliveries,
        every=timedelta(days=1),
        offset=timedelta(hours=3, minutes=41),
    )
)

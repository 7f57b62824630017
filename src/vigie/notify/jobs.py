"""Background tasks of the notification outbox, and its hooks in every worker (registered on
import): the watcher run at each heartbeat, the releaser of dead workers' rows, the daily prune."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django_tasks import TaskContext, task

from vigie.core import coalesce, recovery, scheduling
from vigie.notify import outbox


@task(takes_context=True)
def deliver_pending(context: TaskContext) -> dict[str, int]:
    """Queued (one at a time, core/coalesce.py) when deliveries commit or come due."""
    # First: from now on a commit needs a task of its own, this one may not see its rows.
    coalesce.started(outbox.KICK_KEY, str(context.task_result.id))
    limit = settings.VIGIE_NOTIFY_BATCH_SIZE
    if outbox.more_than(limit):
        # More than this task will take (a large fan-out): queue the next one now, so that
        # another free worker sends in parallel instead of waiting for this one to finish.
        outbox.kick()
    counts = outbox.deliver_due(limit=limit)
    if sum(counts.values()) >= limit:
        # More may be waiting: continue in a fresh task rather than hold this worker, so other
        # kinds of tasks get their turn.
        outbox.kick()
    return counts


@task()
def sweep_outbox() -> dict[str, int]:
    """No longer scheduled (each worker's scheduler thread runs `outbox.watch`); kept so that
    sweeps queued before the upgrade still run."""
    return outbox.sweep()


@task()
def prune_deliveries() -> int:
    return outbox.prune()


# The safety net runs in every worker's scheduler thread, never behind the kicks it backs up.
scheduling.register_watcher("notify-outbox", outbox.watch)
recovery.register_releaser("notify-deliveries", outbox.release_workers)
scheduling.register(
    scheduling.PeriodicJob(
        name="notify-prune",
        task=prune_deliveries,
        every=timedelta(days=1),
        offset=timedelta(hours=3, minutes=41),
    )
)

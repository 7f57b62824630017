"""At most one pending task per key, however many transactions ask for it.

An import that commits 700 alerts used to enqueue 700 `deliver_pending` tasks; the first one
delivered everything and the other 699 sat in the queue in front of the jobs that mattered. Now
each commit calls `enqueue_once(task, key)`: a PendingTask row under a unique key says "one is
queued", and the task calls `started(key, its id)` first thing, which deletes the row. So:

* while one task waits in the queue, later commits add nothing (it will see their rows);
* once it has started, the next commit enqueues a new one, so no committed work waits unseen;
* a row whose task no longer waits (it failed before starting, its worker died, Redis lost it)
  is stale: the next caller replaces it. Nothing has to be cleaned by hand.

With the database task backend the row and the task commit together, so neither can exist
without the other. With Redis the task is pushed after the row commits; a failed push deletes
the row again, and a process killed between the two leaves a row without a task id, stale after
ORPHAN_AFTER. The immediate backend (tests, `VIGIE_TASKS_BACKEND=immediate`) runs the task at
once: there is no queue to coalesce.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks.base import Task
from django_tasks.exceptions import TaskResultDoesNotExist

from vigie.core.models import PendingTask

logger = logging.getLogger(__name__)

# A row without a task id older than this: its process died between the row and the push.
ORPHAN_AFTER = timedelta(minutes=1)
WAITING = frozenset({TaskResultStatus.READY, TaskResultStatus.RUNNING})


def _enqueue_errors() -> tuple[type[BaseException], ...]:
    errors: tuple[type[BaseException], ...] = (DatabaseError, OSError)
    try:
        from redis.exceptions import RedisError
    except ImportError:  # the Redis client is optional
        return errors
    return (*errors, RedisError)


# What pushing a task may raise when the queue is unreachable (the database, or Redis).
ENQUEUE_ERRORS = _enqueue_errors()


def _is_database_backend(task: Task[Any, Any]) -> bool:
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task.get_backend(), DatabaseBackend)


def _still_waiting(task: Task[Any, Any], row: PendingTask) -> bool:
    """Whether the row's task is still queued (or just starting, about to delete the row)."""
    if not row.task_id:
        return timezone.now() - row.enqueued_at < ORPHAN_AFTER
    try:
        status = task.get_backend().get_result(row.task_id).status
    except TaskResultDoesNotExist:
        return False
    return status in WAITING


def enqueue_once(task: Task[Any, Any], key: str) -> bool:
    """Enqueue `task` unless one with this key is already waiting; True when it enqueued."""
    backend = task.get_backend()
    if not backend.supports_get_result:
        # Immediate (runs now) or dummy backend: nothing waits, nothing to coalesce.
        task.enqueue()
        return True
    row = PendingTask.objects.filter(key=key).first()
    if row is not None:
        if _still_waiting(task, row):
            return False
        # Delete that very row: if another caller replaced it meanwhile, ours deletes nothing and
        # the insert below meets the newer row.
        PendingTask.objects.filter(pk=row.pk, task_id=row.task_id).delete()
        logger.info("pending task %s (%s) no longer queued: enqueuing anew", key, row.task_id)
    if _is_database_backend(task):
        try:
            with transaction.atomic():
                result = task.enqueue()
                PendingTask.objects.create(key=key, task_id=result.id, enqueued_at=timezone.now())
        except IntegrityError:
            return False  # another caller's task is queued (its row committed first)
        return True
    try:
        with transaction.atomic():
            row = PendingTask.objects.create(key=key, task_id="", enqueued_at=timezone.now())
    except IntegrityError:
        return False
    try:
        result = task.enqueue()
    except BaseException:
        # Nothing was queued: let the next caller try again instead of waiting ORPHAN_AFTER.
        PendingTask.objects.filter(pk=row.pk).delete()
        raise
    PendingTask.objects.filter(pk=row.pk).update(task_id=result.id)
    return True


def started(key: str, task_id: str) -> None:
    """Called by the task before it looks for work: later commits need a task of their own."""
    PendingTask.objects.filter(key=key, task_id=task_id).delete()


def is_pending(key: str) -> bool:
    return PendingTask.objects.filter(key=key).exists()

"""Platform bookkeeping: worker heartbeats, the once-only ledger of periodic job runs, the
coalesced pending tasks, and the tasks that dead workers left behind."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """One row per `vigie worker`, refreshed every few seconds (read by /healthz and the workers).

    `last_seen` is written with the database's clock, and compared with it, so that workers on
    machines whose clocks disagree still judge each other fairly. A row whose `last_seen` is older
    than DEAD_AFTER_BEATS of its own `interval_seconds` belongs to a dead worker: the first live
    worker to notice sets `died_at` (a compare-and-set on `beats`), gives its work back, then
    sets `released_at`. A clean stop sets `stopped_at` after giving back what it still held.
    """

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    # Boot id and PID namespace: workers sharing it may ask the kernel whether the pid still runs.
    process_key = models.CharField(max_length=100, blank=True)
    backend = models.CharField(max_length=32)
    interval_seconds = models.PositiveIntegerField(default=15)
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)
    # Incremented by every beat: what a verdict compares, so a beat landing meanwhile wins (an
    # integer, because SQLite's clock and Python write timestamps with different precisions).
    beats = models.PositiveBigIntegerField(default=0)
    stopped_at = models.DateTimeField(null=True, blank=True)
    died_at = models.DateTimeField(null=True, blank=True)
    declared_dead_by = models.CharField(max_length=64, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.worker_id}@{self.hostname}"


class JobRun(models.Model):
    """A periodic job's slot that has been enqueued.

    The unique constraint is what makes scheduling safe with many workers on many machines:
    the first worker to insert (job, slot) enqueues the task; the others get an IntegrityError.
    """

    job = models.CharField(max_length=100)
    slot = models.DateTimeField()
    enqueued_at = models.DateTimeField(auto_now_add=True)
    worker_id = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="job_run_once")]
        indexes = [models.Index(fields=["job", "-slot"])]

    def __str__(self) -> str:
        return f"{self.job}@{self.slot.isoformat()}"


class PendingTask(models.Model):
    """At most one queued, not yet started task per key (core/coalesce.py).

    A thousand commits that each want "deliver what is pending" need one such task waiting, not a
    thousand: the unique key lets the first commit enqueue it and the others see it is there.
    The task deletes its row when it starts, so anything committed after that start enqueues a
    fresh one and nothing waits unseen.
    """

    key = models.CharField(max_length=200, unique=True)
    task_id = models.CharField(max_length=64)
    enqueued_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key} ({self.task_id})"


class InterruptedAction(models.TextChoices):
    REQUEUED = "requeued", _("Queued again")
    FAILED = "failed", _("Marked failed")


class InterruptedTask(models.Model):
    """A task that was running in a worker when it died, and what recovery did with it.

    Whatever the task backend (rows of django-tasks-db, jobs in Redis), this table is where the
    operations page and /healthz read interruptions from.
    """

    task_id = models.CharField(max_length=64)
    task_path = models.CharField(max_length=255)
    worker_id = models.CharField(max_length=64)
    backend = models.CharField(max_length=32)
    started_at = models.DateTimeField(null=True, blank=True)
    detected_at = models.DateTimeField(db_index=True)
    action = models.CharField(max_length=16, choices=InterruptedAction.choices)
    new_task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-detected_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.task_path} ({self.action})"

    @property
    def task_name(self) -> str:
        return self.task_path.rsplit(".", 1)[-1]

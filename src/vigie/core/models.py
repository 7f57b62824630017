"""Platform bookkeeping: worker heartbeats and the once-only ledger of periodic job runs."""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """One row per running `vigie worker`, refreshed every few seconds (read by /healthz)."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    backend = models.CharField(max_length=32)
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)

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

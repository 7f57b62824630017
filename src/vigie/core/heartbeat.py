"""Worker heartbeats: /healthz reads them to tell whether background work is running."""

from __future__ import annotations

import os
import secrets
import socket
from datetime import datetime, timedelta

from django.utils import timezone

from vigie.core.models import WorkerHeartbeat


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(3)}"


def beat(worker_id: str, backend: str, started_at: datetime) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "backend": backend,
            "started_at": started_at,
            "last_seen": now,
        },
    )


def forget(worker_id: str) -> None:
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def prune_heartbeats(older_than: timedelta = timedelta(days=1)) -> int:
    deleted, _ = WorkerHeartbeat.objects.filter(last_seen__lt=timezone.now() - older_than).delete()
    return deleted

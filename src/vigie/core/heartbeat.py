"""Worker heartbeats: how workers tell /healthz, the operations page and each other they live.

Every `vigie worker` writes its row every VIGIE_WORKER_HEARTBEAT_SECONDS from its scheduler
thread: one UPDATE, with the database's clock. A row silent for DEAD_AFTER_BEATS of its own
interval belongs to a dead worker (core/recovery.py gives its work back). Workers on the same
machine and in the same PID namespace also ask the kernel: a pid that no longer runs is a dead
worker at once, which is what makes a restarted worker recover its predecessor in seconds.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db.models import F
from django.db.models.functions import Now
from django.utils import timezone

from vigie.core.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

# Silent for this many of its own intervals: dead. Four leaves room for a beat delayed by a
# busy database or a slow machine (a beat is one small UPDATE) while keeping detection within
# 4-5 intervals, 8-10 s with the default interval of 2 s.
DEAD_AFTER_BEATS = 4

_current: str | None = None


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(3)}"


def set_current(worker_id: str | None) -> None:
    """The id of the `vigie worker` running in this process (its tasks claim work under it)."""
    global _current
    _current = worker_id


def current_worker_id() -> str | None:
    """This process's worker id, when it is a `vigie worker` whose heartbeat is in the database."""
    return _current


@cache
def process_key() -> str:
    """Boot id and PID namespace of this process: where a pid means the same process.

    Empty where the kernel does not tell (not Linux): such workers are judged by heartbeat only.
    """
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return ""
    return f"{boot}:{namespace}"


def pid_is_gone(pid: int) -> bool:
    """True when no process `pid` runs in this PID namespace (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # someone else's process: it exists
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    # "pid (comm) state ...": comm may hold spaces and parentheses, the state follows the last ")".
    state = stat.rsplit(")", 1)[-1].split()[0]
    return state in {"Z", "X"}


@dataclass(frozen=True, slots=True)
class Beat:
    written: bool
    # The row said this worker was dead: another worker took it for dead and gave its work back.
    was_declared_dead: bool = False


def beat(
    worker_id: str, backend: str, started_at: datetime, *, interval: int | None = None
) -> Beat:
    """Write this worker's heartbeat (one UPDATE in the usual case)."""
    interval = interval or settings.VIGIE_WORKER_HEARTBEAT_SECONDS
    alive = WorkerHeartbeat.objects.filter(
        worker_id=worker_id, died_at__isnull=True, stopped_at__isnull=True
    )
    if alive.update(last_seen=Now(), beats=F("beats") + 1, interval_seconds=interval):
        return Beat(written=True)
    row = WorkerHeartbeat.objects.filter(worker_id=worker_id).first()
    if row is None:
        WorkerHeartbeat.objects.create(
            worker_id=worker_id,
            hostname=socket.gethostname()[:255],
            pid=os.getpid(),
            process_key=process_key(),
            backend=backend,
            interval_seconds=interval,
            started_at=started_at,
            last_seen=Now(),
        )
        return Beat(written=True)
    declared = row.died_at is not None
    if declared:
        logger.warning(
            "worker %s was taken for dead at %s by %s (its heartbeat was late): "
            "the work it had in progress was given back and may run twice",
            worker_id,
            row.died_at.isoformat() if row.died_at else "?",
            row.declared_dead_by or "?",
        )
    WorkerHeartbeat.objects.filter(pk=row.pk).update(
        last_seen=Now(),
        beats=F("beats") + 1,
        interval_seconds=interval,
        died_at=None,
        declared_dead_by="",
        released_at=None,
        stopped_at=None,
    )
    return Beat(written=True, was_declared_dead=declared)


def mark_stopped(worker_id: str) -> None:
    """A clean stop: the worker is not dead, it left (after giving back what it still held)."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).update(
        last_seen=Now(), stopped_at=timezone.now()
    )


def forget(worker_id: str) -> None:
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def prune_heartbeats(older_than: timedelta = timedelta(days=1)) -> int:
    deleted, _ = WorkerHeartbeat.objects.filter(last_seen__lt=timezone.now() - older_than).delete()
    return deleted


def silence(row: WorkerHeartbeat, db_now: datetime) -> float:
    """Seconds since the row's last beat, by the database's clock."""
    return (db_now - row.last_seen).total_seconds()


def is_late(row: WorkerHeartbeat, db_now: datetime) -> bool:
    return silence(row, db_now) > DEAD_AFTER_BEATS * max(row.interval_seconds, 1)


def database_now() -> datetime:
    """The database's clock, read through the heartbeat table (the caller's row is in it)."""
    value = WorkerHeartbeat.objects.annotate(db_now=Now()).values_list("db_now", flat=True).first()
    return value if isinstance(value, datetime) else timezone.now()

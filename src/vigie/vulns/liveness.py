"""Whether the process that owns a feed run or an inventory import's matching still lives.

A run records where it runs (host name, pid, and the kernel's boot id and PID namespace) and
beats while it works (one UPDATE every few seconds at most, with the database's clock). A run
is gone when

* it ran in this boot and PID namespace and its pid no longer runs (a zombie counts as gone):
  known at once, which is what lets `vigie vulns import` run again right after a kill and find
  its predecessor interrupted;
* or it has not beaten for SILENT_FOR (another machine, or a pid reused by another process).

Being wrong costs work, never alerts: a run taken for gone while it still works sees its
remaining matching done twice (matching is idempotent), and it no longer moves its cursor.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import models
from django.db.models.functions import Now

from vigie.core import heartbeat

# The kernel's answer, shared with the workers' own liveness checks (core/heartbeat.py).
pid_is_gone = heartbeat.pid_is_gone

# A working run beats at every stored batch, NVD API page and matched chunk (seconds apart);
# the longest step without a beat is one download or the parsing of one file.
SILENT_FOR = timedelta(minutes=10)
# Beats closer than this are skipped: the heartbeat must stay a negligible cost.
BEAT_EVERY_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Process:
    host: str
    pid: int
    key: str  # boot id and PID namespace: where a pid names the same process


_cached: tuple[int, Process] | None = None


def this_process() -> Process:
    global _cached
    pid = os.getpid()
    if _cached is None or _cached[0] != pid:  # recomputed in a forked child
        _cached = (
            pid,
            Process(host=socket.gethostname()[:255], pid=pid, key=heartbeat.process_key()[:100]),
        )
    return _cached[1]


class ProcessStamp(models.Model):
    """Where the process working on a row runs, and when it last said so."""

    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    process_key = models.CharField(max_length=100, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def process_label(self) -> str:
        return f"{self.host} pid {self.pid}" if self.pid else ""


def silent_since(row: ProcessStamp) -> models.Q:
    """Rows that have not beaten since `row` was read: the compare-and-set of taking a run for
    dead, so that a beat landing meanwhile wins. An inequality, because SQLite keeps the
    database's Now() with fewer decimals than the value Django reads back and compares."""
    if row.heartbeat_at is None:
        return models.Q(heartbeat_at__isnull=True)
    return models.Q(heartbeat_at__lte=row.heartbeat_at)


def stamp() -> dict[str, Any]:
    """Field values that make the calling process the owner of a row (for create or update)."""
    me = this_process()
    return {"host": me.host, "pid": me.pid, "process_key": me.key, "heartbeat_at": Now()}


def is_gone(row: ProcessStamp, db_now: datetime, started: datetime | None = None) -> bool:
    """Whether the process that stamped `row` is gone (`started`: when rows of before the stamp
    were created; a row without any stamp is judged by it)."""
    me = this_process()
    if row.pid and row.process_key and row.process_key == me.key:
        if row.pid == me.pid:
            return False
        if pid_is_gone(row.pid):
            return True
    last = row.heartbeat_at or started
    return last is None or db_now - last > SILENT_FOR


class Beat:
    """Calls `write()` at most every BEAT_EVERY_SECONDS."""

    def __init__(self, model: type[models.Model], pk: Any) -> None:
        self.model = model
        self.pk = pk
        self.last = time.monotonic()

    def __call__(self, **extra: Any) -> None:
        now = time.monotonic()
        if now - self.last < BEAT_EVERY_SECONDS and not extra:
            return
        self.last = now
        self.model._default_manager.filter(pk=self.pk).update(heartbeat_at=Now(), **extra)

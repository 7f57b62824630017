"""The life of a FeedRun: started by a process, beating while it works, ended by it or found dead.

A run is ended by a conditional UPDATE (`state = running`): a run that another process took
for dead (and marked `interrupted`) keeps that state even if it comes back, and never writes
its watermark, because the matching it owed has been handed to another run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.db.models.functions import Now
from django.utils import timezone

from vigie.vulns import liveness
from vigie.vulns.models import FeedRun

logger = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]


def start_run(*, source: str, location: str, triggered_by: str) -> FeedRun:
    run = FeedRun.objects.create(
        source=source, location=location[:500], triggered_by=triggered_by[:64], **liveness.stamp()
    )
    run.refresh_from_db(fields=["heartbeat_at"])  # Now() was written by the database
    return run


def finish_run(
    run: FeedRun,
    state: str,
    counts: dict[str, Any],
    errors: list[str],
    *,
    watermark: str | None = None,
) -> bool:
    """End a running run; False when it was meanwhile found dead (it then stays interrupted)."""
    values: dict[str, Any] = {
        "state": state,
        "counts": counts,
        "errors": errors,
        "finished_at": timezone.now(),
        "heartbeat_at": Now(),
    }
    if watermark is not None:
        values["watermark"] = watermark
    ended = FeedRun.objects.filter(pk=run.pk, state=FeedRun.State.RUNNING).update(**values)
    run.refresh_from_db()
    if not ended:
        logger.warning(
            "feed run %s ended after it was taken for dead: it stays %s", run.pk, run.state
        )
    return bool(ended)


@contextmanager
def failing_on_error(run: FeedRun, counts: dict[str, Any] | None = None) -> Any:
    """Whatever the run raises ends it `failed` (with the error) before it propagates: a worker
    that survives the error must not leave its run `running` for ever."""
    try:
        yield
    except BaseException as error:
        finish_run(run, FeedRun.State.FAILED, counts or {}, [f"{type(error).__name__}: {error}"])
        raise


class RunBeat:
    """The run's heartbeat, written at most every few seconds; also passes progress on."""

    def __init__(self, run: FeedRun, progress: Progress | None = None) -> None:
        self._beat = liveness.Beat(FeedRun, run.pk)
        self._progress = progress

    def __call__(self, stage: str = "", done: int = 0, total: int = 0) -> None:
        self._beat()
        if self._progress is not None and stage:
            self._progress(stage, done, total)


@dataclass
class Interrupted:
    run: FeedRun
    reason: str

    def describe(self) -> dict[str, Any]:
        return {
            "run": self.run.pk,
            "source": self.run.source,
            "location": self.run.location,
            "started_at": self.run.started_at.isoformat(),
            "reason": self.reason,
        }


def db_now() -> datetime:
    """The database's clock, the one heartbeats are written with (machines' clocks may differ)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT CURRENT_TIMESTAMP")
        value = cursor.fetchone()[0]
    if isinstance(value, str):  # SQLite answers text, in UTC
        value = datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value if isinstance(value, datetime) else timezone.now()


def gone_reason(row: liveness.ProcessStamp, now: datetime, started: datetime | None) -> str:
    if row.pid and row.process_key == liveness.this_process().key and liveness.pid_is_gone(row.pid):
        return f"its process ({row.process_label}) stopped before the end"
    silent = (now - (row.heartbeat_at or started or now)).total_seconds()
    return f"its process ({row.process_label or '?'}) was silent for {silent:.0f} s"


def reconcile_runs() -> list[Interrupted]:
    """Mark `interrupted` the running runs whose process is gone; returns them."""
    now = db_now()
    found: list[Interrupted] = []
    for run in FeedRun.objects.filter(state=FeedRun.State.RUNNING):
        if not liveness.is_gone(run, now, started=run.started_at):
            continue
        reason = gone_reason(run, now, run.started_at)
        marked = FeedRun.objects.filter(
            liveness.silent_since(run), pk=run.pk, state=FeedRun.State.RUNNING
        ).update(
            state=FeedRun.State.INTERRUPTED,
            finished_at=timezone.now(),
            errors=[*run.errors[:199], f"Interrupted: {reason}."],
        )
        if marked:
            run.refresh_from_db()
            logger.warning("feed run %s (%s) was interrupted: %s", run.pk, run.location, reason)
            found.append(Interrupted(run=run, reason=reason))
    return found

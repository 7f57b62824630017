"""What the workers are doing, for /healthz and the centre's operations page.

Everything here is read-only: recovery happens in the workers (core/recovery.py) whether or not
anyone looks. The page shows that it happened, and what a person might want to know about it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from vigie.core import heartbeat
from vigie.core.models import InterruptedTask, PendingTask, WorkerHeartbeat

# Workers and interruptions older than this are history: not shown, not counted.
WINDOW = timedelta(hours=24)


class WorkerState:
    ALIVE = "alive"
    # Silent for DEAD_AFTER_BEATS, not yet declared dead: no live worker to notice it yet.
    LATE = "late"
    DEAD = "dead"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class WorkerView:
    row: WorkerHeartbeat
    state: str
    silent_seconds: int

    @property
    def recovered(self) -> bool:
        return self.row.released_at is not None

    @property
    def reporting(self) -> bool:
        """Alive, or stopped cleanly within the last beats (a `vigie worker --batch` from cron)."""
        if self.state == WorkerState.ALIVE:
            return True
        return self.state == WorkerState.STOPPED and self.silent_seconds <= (
            heartbeat.DEAD_AFTER_BEATS * max(self.row.interval_seconds, 1)
        )


def workers(now: datetime | None = None) -> list[WorkerView]:
    """Every worker seen within WINDOW, live ones first, with its state."""
    db_now = now or heartbeat.database_now()
    rows = WorkerHeartbeat.objects.filter(last_seen__gte=db_now - WINDOW).order_by(
        "-last_seen", "worker_id"
    )
    views = []
    for row in rows:
        if row.stopped_at is not None:
            state = WorkerState.STOPPED
        elif row.died_at is not None:
            state = WorkerState.DEAD
        elif heartbeat.is_late(row, db_now):
            state = WorkerState.LATE
        else:
            state = WorkerState.ALIVE
        views.append(WorkerView(row, state, max(0, int(heartbeat.silence(row, db_now)))))
    order = {WorkerState.ALIVE: 0, WorkerState.LATE: 1, WorkerState.DEAD: 2, WorkerState.STOPPED: 3}
    return sorted(views, key=lambda view: order[view.state])


def interrupted_tasks(now: datetime | None = None) -> list[InterruptedTask]:
    now = now or timezone.now()
    return list(InterruptedTask.objects.filter(detected_at__gte=now - WINDOW)[:100])


def pending_tasks() -> list[PendingTask]:
    return list(PendingTask.objects.order_by("key"))


def worker_counts(views: list[WorkerView]) -> dict[str, int]:
    counts = Counter(view.state for view in views)
    return {state: counts.get(state, 0) for state in ("alive", "late", "dead", "stopped")}


def interrupted_count(now: datetime | None = None) -> int:
    now = now or timezone.now()
    return InterruptedTask.objects.filter(detected_at__gte=now - WINDOW).count()


# --- Panels other apps add to the operations page ------------------------------------------------


@dataclass(frozen=True, slots=True)
class Panel:
    template: str
    context: Callable[[], dict[str, object]]


_panels: dict[str, Panel] = {}


def register_panel(name: str, template: str, context: Callable[[], dict[str, object]]) -> None:
    """A section of the operations page: `template` rendered with `context()` (platform-wide
    figures, read-only; the page is for the centre's members only)."""
    _panels[name] = Panel(template, context)


def panels() -> list[tuple[str, dict[str, object]]]:
    return [(panel.template, panel.context()) for _name, panel in sorted(_panels.items())]

"""What the pages and the readiness pillar read: each care unit of an establishment with its
plan's status (missing, up to date, review overdue) and its RTO coverage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch

from vigie.continuity.models import ContinuityPlan, CriticalProcess
from vigie.tenancy.models import CareUnit, Organisation

MISSING = "missing"
UP_TO_DATE = "up_to_date"
OVERDUE = "overdue"


@dataclass(frozen=True)
class UnitStatus:
    unit: CareUnit
    plan: ContinuityPlan | None
    status: str
    next_review: date | None
    processes: int
    with_workaround: int

    @property
    def coverage(self) -> int | None:
        """The share of critical processes that have a degraded-mode workaround, in percent."""
        if not self.processes:
            return None
        return round(100 * self.with_workaround / self.processes)


def unit_statuses(organisation: Organisation, today: date) -> list[UnitStatus]:
    plans = ContinuityPlan.objects.prefetch_related(
        Prefetch("processes", queryset=CriticalProcess.objects.only("plan_id", "workaround"))
    )
    units = CareUnit.objects.filter(organisation=organisation).prefetch_related(
        Prefetch("continuity_plan", queryset=plans)
    )
    rows = []
    for unit in units.order_by("name"):
        plan: ContinuityPlan | None = getattr(unit, "continuity_plan", None)
        if plan is None:
            rows.append(UnitStatus(unit, None, MISSING, None, 0, 0))
            continue
        processes = list(plan.processes.all())
        rows.append(
            UnitStatus(
                unit=unit,
                plan=plan,
                status=OVERDUE if plan.review_overdue(today) else UP_TO_DATE,
                next_review=plan.next_review_due,
                processes=len(processes),
                with_workaround=sum(1 for p in processes if p.workaround.strip()),
            )
        )
    return rows

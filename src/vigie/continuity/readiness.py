"""The "continuity" pillar of readiness: care units without a plan, reviews overdue, critical
processes without a workaround, mutual aid never tested (or not for a year), downtime kits not
checked for a year. Computed as the plans stood at `now`: rows written later are ignored, and a
review, test or check dated after `now` had not happened yet."""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from vigie.continuity.models import (
    AID_TEST_MONTHS,
    KIT_CHECK_MONTHS,
    ContinuityPlan,
    add_months,
)
from vigie.engines.readiness import Reason
from vigie.readiness.pillars import PillarSpec, register_pillar
from vigie.tenancy.models import CareUnit, Organisation

MISSING_PLANS_POINTS = 40  # all units without a plan; a share of it for some
OVERDUE_POINTS = 10
NO_WORKAROUND_POINTS = 5
AID_POINTS = 5
KIT_POINTS = 5


def _day(value: date | None, today: date) -> date | None:
    """A date recorded, unless it is later than the day of the computation."""
    return value if value is not None and value <= today else None


def continuity_reasons(organisation: Organisation, now: datetime) -> list[Reason]:
    today = timezone.localdate(now)
    plans = list(
        ContinuityPlan.objects.filter(organisation=organisation, created_at__lte=now)
        .select_related("care_unit")
        .prefetch_related("processes", "mutual_aid")
    )
    # A unit existed at `now` when it was created by then, or when its plan was written by then.
    units = list(
        CareUnit.objects.filter(organisation=organisation)
        .filter(Q(created_at__lte=now) | Q(pk__in=[plan.care_unit_id for plan in plans]))
        .order_by("name")
    )
    if not units or not plans:
        return [Reason("continuity.nothing", {}, 100)]
    reasons: list[Reason] = []
    planned = {plan.care_unit_id for plan in plans}
    missing = [unit.name for unit in units if unit.pk not in planned]
    reasons.append(Reason("continuity.plans", {"plans": len(plans), "units": len(units)}, 0))
    if missing:
        reasons.append(
            Reason(
                "continuity.units_without_plan",
                {"count": len(missing), "units": ", ".join(missing)},
                round(MISSING_PLANS_POINTS * len(missing) / len(units)),
            )
        )
    processes = covered = 0
    for plan in plans:
        unit = plan.care_unit.name
        reviewed = (
            plan.last_reviewed_at
            if plan.last_reviewed_at and plan.last_reviewed_at <= now
            else None
        )
        due = add_months(timezone.localdate(reviewed or plan.created_at), plan.review_every_months)
        if due < today:
            reasons.append(
                Reason("continuity.review_overdue", {"unit": unit, "due": due}, OVERDUE_POINTS)
            )
        for process in plan.processes.all():
            if process.created_at > now:
                continue
            processes += 1
            if process.workaround.strip():
                covered += 1
            else:
                reasons.append(
                    Reason(
                        "continuity.no_workaround",
                        {"unit": unit, "process": process.name},
                        NO_WORKAROUND_POINTS,
                    )
                )
        for aid in plan.mutual_aid.all():
            if aid.created_at > now:
                continue
            tested = _day(aid.tested_on, today)
            if tested is None:
                reasons.append(
                    Reason(
                        "continuity.aid_untested",
                        {"unit": unit, "partner": aid.partner},
                        AID_POINTS,
                    )
                )
            elif add_months(tested, AID_TEST_MONTHS) < today:
                reasons.append(
                    Reason(
                        "continuity.aid_stale",
                        {"unit": unit, "partner": aid.partner, "tested": tested},
                        AID_POINTS,
                    )
                )
        checked = _day(plan.kit_checked_on, today)
        if checked is None:
            reasons.append(Reason("continuity.kit_unchecked", {"unit": unit}, KIT_POINTS))
        elif add_months(checked, KIT_CHECK_MONTHS) < today:
            reasons.append(
                Reason("continuity.kit_stale", {"unit": unit, "checked": checked}, KIT_POINTS)
            )
    if processes:
        reasons.append(
            Reason(
                "continuity.rto_coverage",
                {
                    "covered": covered,
                    "processes": processes,
                    "percent": round(100 * covered / processes),
                },
                0,
            )
        )
    return reasons


REASON_TEXTS: dict[str, Promise] = {
    "continuity.nothing": _("No continuity plan written for any care unit."),
    "continuity.plans": _("%(plans)s of %(units)s care units have a continuity plan."),
    "continuity.units_without_plan": _("Care units without a plan (%(count)s): %(units)s."),
    "continuity.review_overdue": _("The plan of %(unit)s was due for review on %(due)s."),
    "continuity.no_workaround": _(
        "%(unit)s: the critical process “%(process)s” has no degraded-mode workaround."
    ),
    "continuity.aid_untested": _(
        "%(unit)s: the mutual aid with %(partner)s has never been tested."
    ),
    "continuity.aid_stale": _(
        "%(unit)s: the mutual aid with %(partner)s was last tested on %(tested)s."
    ),
    "continuity.kit_unchecked": _("%(unit)s: the downtime kit has never been checked."),
    "continuity.kit_stale": _("%(unit)s: the downtime kit was last checked on %(checked)s."),
    "continuity.rto_coverage": _(
        "%(covered)s of %(processes)s critical processes have a workaround (%(percent)s %%)."
    ),
}

register_pillar(
    PillarSpec(
        code="continuity",
        label=_("Continuity plans"),
        order=30,
        provider=continuity_reasons,
        reason_texts=REASON_TEXTS,
        url_name="continuity:index",
    )
)

"""The readiness pillar "training": how many of the people assigned a module in the last 12
months had passed it at `now`, and how many are past their due date."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils.translation import gettext_lazy as _

from vigie.engines.readiness import Reason
from vigie.readiness.pillars import PillarSpec, register_pillar
from vigie.tenancy.models import Organisation
from vigie.training.models import Assignment
from vigie.training.progress import standings

WINDOW = timedelta(days=365)
MISSING_POINTS = 60  # all the points of the missing share
OVERDUE_POINTS = 40  # and of the share past its due date


def training_reasons(organisation: Organisation, now: datetime) -> list[Reason]:
    assignments = (
        Assignment.objects.filter(
            organisation=organisation, created_at__lte=now, created_at__gt=now - WINDOW
        )
        .select_related("module")
        .prefetch_related("care_units")
    )
    assigned = done = overdue = 0
    for assignment in assignments:
        for standing in standings(assignment, now):
            assigned += 1
            done += standing.done
            overdue += standing.overdue
    if assigned == 0:
        return [Reason("training.nothing_assigned", {}, 100)]
    reasons = []
    percent = round(100 * done / assigned)
    missing = assigned - done
    if missing:
        reasons.append(
            Reason(
                "training.incomplete",
                {"done": done, "assigned": assigned, "percent": percent},
                round(MISSING_POINTS * missing / assigned),
            )
        )
    else:
        reasons.append(Reason("training.all_done", {"assigned": assigned}, 0))
    if overdue:
        reasons.append(
            Reason(
                "training.overdue",
                {"overdue": overdue, "assigned": assigned},
                round(OVERDUE_POINTS * overdue / assigned),
            )
        )
    return reasons


register_pillar(
    PillarSpec(
        code="training",
        label=_("Training"),
        order=50,
        provider=training_reasons,
        reason_texts={
            "training.nothing_assigned": _("No training module assigned in the last 12 months."),
            "training.incomplete": _(
                "People assigned who passed their module: "
                "%(done)s of %(assigned)s (%(percent)s %%)."
            ),
            "training.all_done": _("Everyone assigned passed their module (%(assigned)s)."),
            "training.overdue": _(
                "People assigned past their due date: %(overdue)s of %(assigned)s."
            ),
        },
        url_name="training:index",
    )
)

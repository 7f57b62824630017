"""The incidents pillar: what is going on at `now`: open incidents, a major one in progress, the
regulatory reports overdue (the clocks of `vigie.incidents.deadlines`).

As of `now`: an incident counts from its declaration until it was closed; the reports submitted
after `now` are not counted as submitted then, and a recovery after `now` had not happened yet.
The "major" flag is the one the case carries today (the case does not date it).

Points: a major incident in progress 40 (capped at 60), an overdue report 15 (capped at 45),
another open incident 5 (capped at 20). No incident at all is a fact in the pillar's favour:
unlike a backup set or a plan, there is nothing an establishment should have recorded here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Prefetch, Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from vigie.engines.readiness import Reason
from vigie.incidents.deadlines import outlook_of
from vigie.incidents.models import Incident, Phase, Submission
from vigie.readiness.days import local_date
from vigie.readiness.pillars import PillarSpec, register_pillar
from vigie.tenancy.models import Organisation

REASON_TEXTS: dict[str, Promise] = {
    "incidents.major_in_progress": _(
        "Major incidents in progress: %(count)s (the first one declared on %(since)s)."
    ),
    "incidents.reports_overdue": _("Regulatory reports overdue: %(count)s."),
    "incidents.open": _("Other incidents open: %(count)s."),
    "incidents.none_open": _("No incident open."),
}


def open_incidents(organisation: Organisation, now: datetime) -> list[Incident]:
    """The incidents of `organisation` open at `now`, their submissions up to `now` only."""
    cases = (
        Incident.objects.filter(organisation=organisation, declared_at__lte=now)
        .filter(Q(closed_at__gt=now) | (Q(closed_at__isnull=True) & ~Q(phase=Phase.CLOSED)))
        .select_related("organisation")
        .prefetch_related(
            Prefetch("submissions", queryset=Submission.objects.filter(submitted_at__lte=now))
        )
        .order_by("declared_at", "pk")
    )
    result = []
    for incident in cases:
        # Not saved: the case as it stood at `now`, for its clocks.
        if incident.recovered_at is not None and incident.recovered_at > now:
            incident.recovered_at = None
        if incident.closed_at is not None and incident.closed_at > now:
            incident.closed_at = None
        result.append(incident)
    return result


def incident_reasons(organisation: Organisation, now: datetime) -> list[Reason]:
    cases = open_incidents(organisation, now)
    major = [case for case in cases if case.major]
    overdue = sum(outlook_of(case, now).overdue for case in cases)
    others = len(cases) - len(major)
    reasons = []
    if major:
        params: dict[str, Any] = {"count": len(major), "since": local_date(major[0].declared_at)}
        reasons.append(Reason("incidents.major_in_progress", params, min(60, 40 * len(major))))
    if overdue:
        points = min(45, 15 * overdue)
        reasons.append(Reason("incidents.reports_overdue", {"count": overdue}, points))
    if others:
        reasons.append(Reason("incidents.open", {"count": others}, min(20, 5 * others)))
    if not cases:
        reasons.append(Reason("incidents.none_open", {}, 0))
    return reasons


register_pillar(
    PillarSpec(
        code="incidents",
        label=_("Incidents"),
        order=70,
        provider=incident_reasons,
        reason_texts=REASON_TEXTS,
        url_name="incidents:list",
    )
)

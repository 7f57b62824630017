"""The regulatory clocks of a case: the facts read from the incident and its organisation,
handed to the framework-free engine (`vigie.engines.incidents.clocks`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from vigie.engines.incidents.clocks import CaseFacts, Obligation, Status, obligations
from vigie.incidents.models import Incident
from vigie.tenancy.models import Nis2Class


def facts_of(incident: Incident) -> CaseFacts:
    submitted: dict[str, datetime] = {}
    for submission in incident.submissions.all():  # ordered by time: the first one counts
        submitted.setdefault(submission.code, submission.submitted_at)
    nis2 = incident.organisation.nis2_class
    return CaseFacts(
        aware_at=incident.aware_at,
        nis2_entity=nis2 if nis2 in (Nis2Class.ESSENTIAL, Nis2Class.IMPORTANT) else "",
        personal_data=incident.personal_data,
        high_risk_to_people=incident.personal_data and incident.high_risk_to_people,
        resolved_at=incident.recovered_at or incident.closed_at,
        submitted=submitted,
        intermediate_requested_due=incident.intermediate_requested_due,
        immediate_target=timedelta(hours=settings.VIGIE_INCIDENT_IMMEDIATE_HOURS),
    )


def clocks_of(incident: Incident, now: datetime) -> list[Obligation]:
    return obligations(facts_of(incident), now)


# The reports still owed: not submitted, and their clock running.
OWED = frozenset({Status.PENDING, Status.DUE_SOON, Status.OVERDUE})


@dataclass(frozen=True, slots=True)
class Outlook:
    """What a list row shows of a case's clocks: the next report due and how many are late."""

    next: Obligation | None
    overdue: int


def outlook_of(incident: Incident, now: datetime) -> Outlook:
    owed = [o for o in clocks_of(incident, now) if o.status in OWED]
    dated = [o for o in owed if o.due_at is not None]
    return Outlook(
        next=min(dated, key=lambda o: o.due_at or now, default=None),
        overdue=sum(1 for o in owed if o.status == Status.OVERDUE),
    )

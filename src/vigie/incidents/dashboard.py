"""The incidents section of the dashboards: open cases and the deadlines coming up.

For an establishment: its open incidents, each with its next regulatory deadline; for a
centre: the open cases of its establishments, untriaged first.
"""

from __future__ import annotations

from django.utils import timezone

from vigie.incidents.deadlines import outlook_of
from vigie.incidents.models import Incident, Phase
from vigie.incidents.visibility import visible_incidents
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.dashboard import Section, register_section
from vigie.tenancy.roles import OrgKind


def incidents_section(access: OrgAccess) -> Section | None:
    now = timezone.now()
    open_cases = visible_incidents(
        access, Incident.objects.select_related("organisation").prefetch_related("submissions")
    ).exclude(phase=Phase.CLOSED)
    rows = []
    overdue = 0
    for incident in open_cases.order_by("-declared_at")[:8]:
        outlook = outlook_of(incident, now)
        overdue += outlook.overdue
        rows.append({"incident": incident, "next": outlook.next})
    return Section(
        template="incidents/_dashboard.html",
        order=15,
        context={
            "is_centre": access.organisation.kind == OrgKind.CENTRE,
            "open_count": open_cases.count(),
            "untriaged": open_cases.filter(phase=Phase.DECLARED).count(),
            "rows": rows,
            "overdue": overdue,
        },
    )


register_section(incidents_section)

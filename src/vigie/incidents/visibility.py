"""Who may read a case, decided in one place (every page, export and report uses it).

- The declaring establishment's members read its cases.
- Its support centre reads them too: a declaration is made *to* the centre, which triages it.
- A case marked TLP:RED is read at the centre only by the analysts assigned to it and by the
  centre's administrators (who assign them): nobody else at the centre.
- No other establishment ever reads a case; the sector sees only the observatory's
  anonymised aggregates.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from vigie.incidents.models import Incident
from vigie.intel.models import Tlp
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.roles import Cap, OrgKind, Role


def visible_incidents(
    access: OrgAccess, queryset: QuerySet[Incident] | None = None
) -> QuerySet[Incident]:
    rows = Incident.objects.all() if queryset is None else queryset
    reader = access.organisation
    if reader.kind != OrgKind.CENTRE:
        return rows.filter(organisation=reader)
    rows = rows.filter(organisation__centre=reader)
    if access.role == Role.ADMIN:
        return rows
    assigned = Incident.analysts.through.objects.filter(
        incident_id=OuterRef("pk"), user_id=access.user.pk
    )
    return rows.filter(~Q(tlp=Tlp.RED) | Exists(assigned))


def may_edit_declaration(access: OrgAccess, incident: Incident) -> bool:
    """The declaring establishment edits its declaration; the centre triages, it does not
    rewrite what the establishment said."""
    return incident.organisation_id == access.organisation.pk and access.can(Cap.DECLARE_INCIDENTS)


def may_triage(access: OrgAccess, incident: Incident) -> bool:
    return (
        access.organisation.kind == OrgKind.CENTRE
        and incident.organisation.centre_id == access.organisation.pk
        and access.can(Cap.TRIAGE_INCIDENTS)
    )


def may_take_part(access: OrgAccess, incident: Incident) -> bool:
    """Comment, write in the timeline, tick tasks, add evidence: both sides of the case."""
    return may_edit_declaration(access, incident) or may_triage(access, incident)

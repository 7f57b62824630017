"""Roles and what they allow: the one table the access helpers consult."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgKind(models.TextChoices):
    CENTRE = "centre", _("Support centre")
    ESTABLISHMENT = "establishment", _("Health establishment")


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    SECURITY_OFFICER = "security_officer", _("Security officer (RSSI)")
    IT_ENGINEER = "it_engineer", _("IT engineer")
    BIOMEDICAL_ENGINEER = "biomedical_engineer", _("Biomedical engineer")
    DPO = "dpo", _("Data protection officer")
    DIRECTOR = "director", _("Director")
    ANALYST = "analyst", _("Analyst")
    VIEWER = "viewer", _("Viewer")


ROLES_BY_KIND: dict[str, tuple[str, ...]] = {
    OrgKind.ESTABLISHMENT: (
        Role.ADMIN,
        Role.SECURITY_OFFICER,
        Role.IT_ENGINEER,
        Role.BIOMEDICAL_ENGINEER,
        Role.DPO,
        Role.DIRECTOR,
        Role.VIEWER,
    ),
    OrgKind.CENTRE: (Role.ADMIN, Role.ANALYST, Role.VIEWER),
}


class Cap:
    """Capabilities checked by views, API and actions. Names are stable: tests refer to them."""

    VIEW = "org.view"
    MANAGE_MEMBERS = "org.manage_members"
    EDIT_PROFILE = "org.edit_profile"
    VIEW_AUDIT = "audit.view"
    EDIT_INVENTORY = "inventory.edit"
    HANDLE_ALERTS = "alerts.handle"
    MANAGE_ESTABLISHMENTS = "centre.manage_establishments"
    VIEW_SECTOR = "centre.view_sector"
    PUBLISH = "centre.publish"
    DECLARE_INCIDENTS = "incidents.declare"
    TRIAGE_INCIDENTS = "incidents.triage"
    MANAGE_BACKUPS = "resilience.backups"
    MANAGE_CONTINUITY = "resilience.continuity"
    RUN_EXERCISES = "resilience.exercises"
    MANAGE_TRAINING = "training.manage"
    RUN_PHISHING = "training.phishing"


_ESTABLISHMENT_OPERATORS = {
    Cap.VIEW,
    Cap.EDIT_INVENTORY,
    Cap.HANDLE_ALERTS,
    Cap.DECLARE_INCIDENTS,
}

# Resilience: the security team runs all of it; IT keeps the backups; the direction owns the
# continuity plans and the yearly crisis exercise.
_RESILIENCE_LEADS = {
    Cap.MANAGE_BACKUPS,
    Cap.MANAGE_CONTINUITY,
    Cap.RUN_EXERCISES,
    Cap.MANAGE_TRAINING,
    Cap.RUN_PHISHING,
}

CAPABILITIES: dict[tuple[str, str], frozenset[str]] = {
    (OrgKind.ESTABLISHMENT, Role.ADMIN): frozenset(
        _ESTABLISHMENT_OPERATORS
        | _RESILIENCE_LEADS
        | {Cap.MANAGE_MEMBERS, Cap.EDIT_PROFILE, Cap.VIEW_AUDIT}
    ),
    (OrgKind.ESTABLISHMENT, Role.SECURITY_OFFICER): frozenset(
        _ESTABLISHMENT_OPERATORS | _RESILIENCE_LEADS | {Cap.VIEW_AUDIT}
    ),
    (OrgKind.ESTABLISHMENT, Role.IT_ENGINEER): frozenset(
        _ESTABLISHMENT_OPERATORS | {Cap.MANAGE_BACKUPS}
    ),
    (OrgKind.ESTABLISHMENT, Role.BIOMEDICAL_ENGINEER): frozenset(_ESTABLISHMENT_OPERATORS),
    # The DPO declares data breaches; the director may declare when the team is overwhelmed.
    (OrgKind.ESTABLISHMENT, Role.DPO): frozenset({Cap.VIEW, Cap.DECLARE_INCIDENTS}),
    (OrgKind.ESTABLISHMENT, Role.DIRECTOR): frozenset(
        {Cap.VIEW, Cap.DECLARE_INCIDENTS, Cap.MANAGE_CONTINUITY, Cap.RUN_EXERCISES}
    ),
    (OrgKind.ESTABLISHMENT, Role.VIEWER): frozenset({Cap.VIEW}),
    (OrgKind.CENTRE, Role.ADMIN): frozenset(
        {
            Cap.VIEW,
            Cap.MANAGE_MEMBERS,
            Cap.EDIT_PROFILE,
            Cap.VIEW_AUDIT,
            Cap.MANAGE_ESTABLISHMENTS,
            Cap.VIEW_SECTOR,
            Cap.PUBLISH,
            Cap.TRIAGE_INCIDENTS,
        }
    ),
    (OrgKind.CENTRE, Role.ANALYST): frozenset(
        {Cap.VIEW, Cap.VIEW_SECTOR, Cap.PUBLISH, Cap.TRIAGE_INCIDENTS}
    ),
    (OrgKind.CENTRE, Role.VIEWER): frozenset({Cap.VIEW, Cap.VIEW_SECTOR}),
}


def capabilities(kind: str, role: str) -> frozenset[str]:
    return CAPABILITIES.get((kind, role), frozenset())


def role_choices(kind: str) -> list[tuple[str, str]]:
    allowed = ROLES_BY_KIND.get(kind, ())
    return [(value, str(label)) for value, label in Role.choices if value in allowed]

"""Every change to care units and continuity plans, each in one transaction with its audit
entry; and the review reminders (marker row and outbox rows in one transaction).

Callers pass the access they were granted (`tenancy.access.org_access`); these functions
check again what that access may do, and that every object belongs to its organisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone

from vigie.audit.log import record as audit
from vigie.audit.models import Action
from vigie.continuity.models import (
    Contact,
    ContinuityPlan,
    CriticalProcess,
    MutualAid,
    PaperForm,
    ReviewReminder,
)
from vigie.intel.refusal import Refused
from vigie.notify import outbox
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import CareUnit, Membership, Organisation
from vigie.tenancy.roles import Cap, OrgKind

REVIEW_DUE = "continuity.review_due"
# The rows a plan may hold in each section: the plan must fit one printed page.
ROW_KINDS: dict[str, type[Model]] = {
    "contacts": Contact,
    "forms": PaperForm,
    "processes": CriticalProcess,
    "aid": MutualAid,
}
ROW_LIMITS = {"contacts": 12, "forms": 10, "processes": 10, "aid": 6}
PLAN_FIELDS = (
    "admission_procedure",
    "prescription_procedure",
    "kit_location",
    "kit_contents",
    "kit_checked_on",
    "review_every_months",
)


class ContinuityRefused(Refused):
    """`code`: not_allowed, not_establishment, duplicate_unit, unknown_unit, unknown_member,
    unknown_row, too_many_rows, no_plan."""


def _now() -> datetime:
    return timezone.now()


def _require(access: OrgAccess, *capabilities: str) -> None:
    if access.organisation.kind != OrgKind.ESTABLISHMENT:
        raise ContinuityRefused("not_establishment")
    if not any(access.can(c) for c in capabilities):
        raise ContinuityRefused("not_allowed")


def _unit(access: OrgAccess, unit_id: int) -> CareUnit:
    unit = CareUnit.objects.filter(organisation=access.organisation, pk=unit_id).first()
    if unit is None:
        raise ContinuityRefused("unknown_unit")
    return unit


# --- Care units --------------------------------------------------------------------------------


@transaction.atomic
def save_unit(
    access: OrgAccess,
    name: str,
    code: str = "",
    *,
    unit_id: int | None = None,
    request: Any = None,
) -> CareUnit:
    """Create a care unit, or rename the one `unit_id` names."""
    _require(access, Cap.MANAGE_CONTINUITY)
    name, code = name.strip(), code.strip()
    others = CareUnit.objects.filter(organisation=access.organisation, name__iexact=name)
    if unit_id is not None:
        unit = _unit(access, unit_id)
        others = others.exclude(pk=unit.pk)
        before = unit.name
    else:
        unit = CareUnit(organisation=access.organisation)
        before = ""
    if others.exists():
        raise ContinuityRefused("duplicate_unit", name=name[:200])
    unit.name, unit.code = name, code
    try:
        with transaction.atomic():
            unit.save()
    except IntegrityError as error:
        raise ContinuityRefused("duplicate_unit", name=name[:200]) from error
    audit(
        Action.CARE_UNIT_SAVED,
        actor=access.user,
        organisation=access.organisation,
        target=unit,
        request=request,
        details={"name": name, "code": code, "before": before},
    )
    return unit


@transaction.atomic
def set_member_unit(
    access: OrgAccess, membership_id: int, unit_id: int | None, *, request: Any = None
) -> Membership:
    _require(access, Cap.MANAGE_CONTINUITY, Cap.MANAGE_MEMBERS)
    membership = (
        Membership.objects.select_for_update()
        .filter(organisation=access.organisation, pk=membership_id)
        .select_related("user")
        .first()
    )
    if membership is None:
        raise ContinuityRefused("unknown_member")
    unit = _unit(access, unit_id) if unit_id is not None else None
    membership.care_unit = unit
    membership.save(update_fields=["care_unit"])
    audit(
        Action.CARE_UNIT_SAVED,
        actor=access.user,
        organisation=access.organisation,
        target=unit or membership,
        request=request,
        details={
            "member": membership.user.get_username(),
            "unit": unit.name if unit is not None else None,
        },
    )
    return membership


# --- Plans -------------------------------------------------------------------------------------


def _audit_plan(access: OrgAccess, plan: ContinuityPlan, request: Any, **details: Any) -> None:
    audit(
        Action.PLAN_SAVED,
        actor=access.user,
        organisation=access.organisation,
        target=plan,
        request=request,
        details={"unit": plan.care_unit.name, **details},
    )


@transaction.atomic
def save_plan(
    access: OrgAccess, unit_id: int, fields: dict[str, Any], *, request: Any = None
) -> ContinuityPlan:
    """Create the unit's plan or update it; `fields` are those of `PLAN_FIELDS`."""
    _require(access, Cap.MANAGE_CONTINUITY)
    unit = _unit(access, unit_id)
    plan = ContinuityPlan.objects.select_for_update().filter(care_unit=unit).first()
    created = plan is None
    if plan is None:
        plan = ContinuityPlan(organisation=access.organisation, care_unit=unit)
    changed = [
        name for name in PLAN_FIELDS if name in fields and getattr(plan, name) != fields[name]
    ]
    for name in changed:
        setattr(plan, name, fields[name])
    if not (changed or created):
        return plan
    plan.updated_at = _now()
    plan.save()
    _audit_plan(access, plan, request, created=created, fields=changed)
    return plan


def _plan(access: OrgAccess, unit_id: int) -> ContinuityPlan:
    plan = (
        ContinuityPlan.objects.select_for_update()
        .select_related("care_unit")
        .filter(organisation=access.organisation, care_unit_id=unit_id)
        .first()
    )
    if plan is None:
        raise ContinuityRefused("no_plan")
    return plan


@transaction.atomic
def add_row(
    access: OrgAccess, unit_id: int, kind: str, values: dict[str, Any], *, request: Any = None
) -> Model:
    """A row of a plan's section (`kind` of `ROW_KINDS`), the plan created when missing."""
    _require(access, Cap.MANAGE_CONTINUITY)
    model = ROW_KINDS.get(kind)
    if model is None:
        raise ContinuityRefused("unknown_row")
    unit = _unit(access, unit_id)
    plan = ContinuityPlan.objects.select_for_update().filter(care_unit=unit).first()
    if plan is None:
        plan = save_plan(access, unit.pk, {}, request=request)
    count = model._default_manager.filter(plan=plan).count()
    if count >= ROW_LIMITS[kind]:
        raise ContinuityRefused("too_many_rows", limit=ROW_LIMITS[kind])
    row = model(plan=plan, **values)
    row.save()
    plan.updated_at = _now()
    plan.save(update_fields=["updated_at"])
    _audit_plan(
        access,
        plan,
        request,
        added=kind,
        row=str(values.get("name") or values.get("partner") or ""),
    )
    return row


@transaction.atomic
def delete_row(
    access: OrgAccess, unit_id: int, kind: str, row_id: int, *, request: Any = None
) -> None:
    _require(access, Cap.MANAGE_CONTINUITY)
    model = ROW_KINDS.get(kind)
    if model is None:
        raise ContinuityRefused("unknown_row")
    plan = _plan(access, unit_id)
    deleted, _kinds = model._default_manager.filter(plan=plan, pk=row_id).delete()
    if not deleted:
        raise ContinuityRefused("unknown_row")
    plan.updated_at = _now()
    plan.save(update_fields=["updated_at"])
    _audit_plan(access, plan, request, deleted=kind, row_id=row_id)


@transaction.atomic
def mark_reviewed(access: OrgAccess, unit_id: int, *, request: Any = None) -> ContinuityPlan:
    _require(access, Cap.MANAGE_CONTINUITY)
    plan = _plan(access, unit_id)
    plan.last_reviewed_at = _now()
    plan.reviewed_by = access.user
    plan.save(update_fields=["last_reviewed_at", "reviewed_by"])
    audit(
        Action.PLAN_REVIEWED,
        actor=access.user,
        organisation=access.organisation,
        target=plan,
        request=request,
        details={"unit": plan.care_unit.name, "next_review": plan.next_review_due.isoformat()},
    )
    return plan


# --- Review reminders (the periodic job) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReminderRun:
    sent: int
    plans: int


def plan_url(plan: ContinuityPlan) -> str:
    path = reverse(
        "continuity:plan", kwargs={"org": plan.organisation.slug, "unit_id": plan.care_unit_id}
    )
    return f"{settings.VIGIE_BASE_URL}{path}"


def _remind(plan: ContinuityPlan, now: datetime) -> bool:
    due = plan.next_review_due
    try:
        with transaction.atomic():
            ReviewReminder.objects.create(plan=plan, due_on=due, sent_at=now)
            payload = {
                "plan": plan.pk,
                "unit": plan.care_unit.name,
                "organisation_slug": plan.organisation.slug,
                "organisation_name": plan.organisation.name,
                "due_on": due.isoformat(),
                "last_reviewed_at": (
                    plan.last_reviewed_at.isoformat() if plan.last_reviewed_at else None
                ),
                "url": plan_url(plan),
            }
            outbox.enqueue_for_channels(
                organisation=plan.organisation,
                event=REVIEW_DUE,
                payload=payload,
                email_template="notify/mail/continuity",
                email_context={"payload": payload, "event": REVIEW_DUE},
                idempotency_key=f"{REVIEW_DUE}:{plan.pk}:{due.isoformat()}",
                related=f"continuity.continuityplan:{plan.pk}",
            )
    except IntegrityError:
        return False  # another run sent this one
    return True


def send_review_reminders(now: datetime | None = None) -> ReminderRun:
    """One notice per plan and due cycle, once the review is overdue: safe to re-run and to
    run by several workers at once (the `ReviewReminder` row is the marker)."""
    now = now or _now()
    today = timezone.localdate(now)
    sent = count = 0
    plans = (
        ContinuityPlan.objects.filter(
            organisation__kind=OrgKind.ESTABLISHMENT, organisation__is_active=True
        )
        .select_related("organisation", "care_unit")
        .prefetch_related("reminders")
    )
    for plan in plans.iterator(chunk_size=200):
        count += 1
        if not plan.review_overdue(today):
            continue
        if any(r.due_on == plan.next_review_due for r in plan.reminders.all()):
            continue
        if _remind(plan, now):
            sent += 1
    return ReminderRun(sent=sent, plans=count)


def organisation_units(organisation: Organisation) -> list[CareUnit]:
    return list(CareUnit.objects.filter(organisation=organisation).order_by("name"))

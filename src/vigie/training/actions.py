"""Every change to training: assigning a module (with the e-mails that tell each person, in the
same transaction) and recording a completed quiz. Callers pass the access they were granted
(`tenancy.access.org_access`); these functions check again what it may do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from vigie.audit.log import record as audit
from vigie.audit.models import Action
from vigie.intel.refusal import Refused
from vigie.notify import outbox
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import CareUnit, Membership
from vigie.tenancy.roles import ROLES_BY_KIND, Cap, OrgKind
from vigie.training.models import Assignment, AssignmentNotice, Completion, TrainingModule
from vigie.training.progress import audience, visible_modules
from vigie.training.quiz import Scored, UnknownAnswer, score

TRAINING_ASSIGNED = "training.assigned"
MAIL_TEMPLATE = "notify/mail/training"


class TrainingRefused(Refused):
    """`code`: not_allowed, unknown_module, unknown_unit, bad_role, bad_answer, stale_module."""


def _now() -> datetime:
    return timezone.now()


def module_url(assignment: Assignment) -> str:
    slug = assignment.organisation.slug
    return f"{settings.VIGIE_BASE_URL}/o/{slug}/training/modules/{assignment.module_id}/"


def _tell(assignment: Assignment, membership: Membership, now: datetime) -> bool:
    """The marker and the e-mail of one person, in one (nested) transaction; False when they
    were already told or have no address."""
    user = membership.user
    if not user.email:
        return False
    try:
        with transaction.atomic():
            AssignmentNotice.objects.create(assignment=assignment, user=user, sent_at=now)
            module = assignment.module
            context = {
                "title": module.title_for(user.language or settings.LANGUAGE_CODE),
                "minutes": module.minutes,
                "organisation_name": assignment.organisation.name,
                # Noon: the day stays the same in every zone a reader may be in.
                "due_at": datetime.combine(assignment.due_on, time(12)).isoformat(),
                "url": module_url(assignment),
            }
            outbox.enqueue_email(
                organisation=assignment.organisation,
                to=user.email,
                language=user.language,
                time_zone=user.time_zone,
                template=MAIL_TEMPLATE,
                context=context,
                event=TRAINING_ASSIGNED,
                idempotency_key=f"{TRAINING_ASSIGNED}:{assignment.pk}:{user.pk}",
                related=f"training.assignment:{assignment.pk}",
            )
    except IntegrityError:
        return False
    return True


def tell_audience(assignment: Assignment, now: datetime | None = None) -> int:
    """E-mail everyone of the audience not told yet (a newcomer, or after a crash)."""
    now = now or _now()
    told = set(assignment.notices.values_list("user_id", flat=True))
    sent = 0
    for membership in audience(assignment):
        if membership.user_id not in told and _tell(assignment, membership, now):
            sent += 1
    return sent


@transaction.atomic
def assign(
    access: OrgAccess,
    *,
    module: TrainingModule,
    roles: Sequence[str],
    care_units: Sequence[CareUnit],
    due_on: date,
    request: Any = None,
) -> Assignment:
    if not access.can(Cap.MANAGE_TRAINING) or access.organisation.kind != OrgKind.ESTABLISHMENT:
        raise TrainingRefused("not_allowed")
    if not visible_modules(access.organisation).filter(pk=module.pk).exists():
        raise TrainingRefused("unknown_module")
    allowed = ROLES_BY_KIND[OrgKind.ESTABLISHMENT]
    bad = [r for r in roles if r not in allowed]
    if bad:
        raise TrainingRefused("bad_role", role=bad[0][:40])
    if any(unit.organisation_id != access.organisation.pk for unit in care_units):
        raise TrainingRefused("unknown_unit")
    now = _now()
    assignment = Assignment.objects.create(
        organisation=access.organisation,
        module=module,
        roles=sorted(set(roles)),
        due_on=due_on,
        created_at=now,
        created_by=access.user,
    )
    assignment.care_units.set(list(care_units))
    audit(
        Action.TRAINING_ASSIGNED,
        actor=access.user,
        organisation=access.organisation,
        target=assignment,
        request=request,
        details={
            "module": module.slug,
            "roles": assignment.roles,
            "care_units": sorted(u.name for u in care_units),
            "due_on": due_on.isoformat(),
        },
    )
    tell_audience(assignment, now)
    return assignment


def tell_newcomers(now: datetime | None = None) -> int:
    """The periodic job: people who joined an audience after its assignment was made hear of
    it too, once (the notice is the marker), while it is not past due."""
    now = now or _now()
    sent = 0
    open_ones = Assignment.objects.filter(due_on__gte=timezone.localdate(now)).select_related(
        "module", "organisation"
    )
    for assignment in open_ones.iterator(chunk_size=100):
        sent += tell_audience(assignment, now)
    return sent


@dataclass(frozen=True, slots=True)
class Taken:
    completion: Completion
    scored: Scored


@transaction.atomic
def complete(
    access: OrgAccess,
    module: TrainingModule,
    answers: Mapping[str, Sequence[str]],
    *,
    version: str,
    request: Any = None,
) -> Taken:
    """Score the answers against the stored module and record the completion."""
    if access.organisation.kind != OrgKind.ESTABLISHMENT or not access.can(Cap.VIEW):
        raise TrainingRefused("not_allowed")
    if not visible_modules(access.organisation).filter(pk=module.pk).exists():
        raise TrainingRefused("unknown_module")
    if version != module.version:
        raise TrainingRefused("stale_module")
    try:
        scored = score(module.text("fr")["questions"], answers, module.pass_mark)
    except UnknownAnswer as error:
        raise TrainingRefused("bad_answer", answer=str(error)[:80]) from None
    completion = Completion.objects.create(
        organisation=access.organisation,
        user=access.user,
        module=module,
        module_version=module.version,
        score=scored.score,
        passed=scored.passed,
        answers={qid: sorted(set(given)) for qid, given in answers.items()},
        completed_at=_now(),
    )
    audit(
        Action.TRAINING_COMPLETED,
        actor=access.user,
        organisation=access.organisation,
        target=completion,
        request=request,
        details={
            "module": module.slug,
            "version": module.version,
            "score": scored.score,
            "passed": scored.passed,
        },
    )
    return Taken(completion=completion, scored=scored)

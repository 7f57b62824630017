"""Who an assignment is for, and where each of them stands, as of a moment.

The audience is computed from the establishment's memberships (roles, care units) each time,
so a newcomer is included; as of `now`, only memberships that existed then count, and only
completions made by then (past points of the readiness trend are recomputed the same way).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from vigie.tenancy.models import Membership, Organisation
from vigie.training.models import Assignment, Completion, TrainingModule


def audience(assignment: Assignment, now: datetime | None = None) -> QuerySet[Membership]:
    rows = Membership.objects.filter(
        organisation_id=assignment.organisation_id, user__is_active=True
    ).select_related("user", "care_unit")
    if now is not None:
        rows = rows.filter(created_at__lte=now)
    if assignment.roles:
        rows = rows.filter(role__in=assignment.roles)
    units = [u.pk for u in assignment.care_units.all()]
    if units:
        rows = rows.filter(care_unit_id__in=units)
    return rows.order_by("user__last_name", "user__first_name", "user__username")


def assignments_for(membership: Membership) -> list[Assignment]:
    """The assignments of an establishment whose audience includes this member."""
    rows = (
        Assignment.objects.filter(organisation_id=membership.organisation_id)
        .select_related("module")
        .prefetch_related("care_units")
    )
    mine = []
    for assignment in rows:
        if assignment.roles and membership.role not in assignment.roles:
            continue
        units = {u.pk for u in assignment.care_units.all()}
        if units and membership.care_unit_id not in units:
            continue
        mine.append(assignment)
    return mine


@dataclass(frozen=True, slots=True)
class Standing:
    membership: Membership
    done: bool  # passed the module by then
    overdue: bool  # not passed, and the due date is past
    score: int | None  # the best score by then, None when never taken
    attempts: int


def _today(now: datetime) -> date:
    return timezone.localdate(now)


def standings(assignment: Assignment, now: datetime) -> list[Standing]:
    people = list(audience(assignment, now))
    completions = Completion.objects.filter(
        organisation_id=assignment.organisation_id,
        module_id=assignment.module_id,
        user_id__in=[m.user_id for m in people],
        completed_at__lte=now,
    ).values_list("user_id", "score", "passed")
    best: dict[int, int] = {}
    passed: set[int] = set()
    attempts: dict[int, int] = {}
    for user_id, score, ok in completions:
        best[user_id] = max(best.get(user_id, 0), score)
        attempts[user_id] = attempts.get(user_id, 0) + 1
        if ok:
            passed.add(user_id)
    late = assignment.due_on < _today(now)
    return [
        Standing(
            membership=m,
            done=m.user_id in passed,
            overdue=late and m.user_id not in passed,
            score=best.get(m.user_id),
            attempts=attempts.get(m.user_id, 0),
        )
        for m in people
    ]


@dataclass(frozen=True, slots=True)
class Group:
    label: str
    assigned: int
    done: int
    overdue: int
    average: float | None  # of the best scores of those who took it


def group(rows: Iterable[tuple[str, Standing]]) -> list[Group]:
    buckets: dict[str, list[Standing]] = {}
    for label, standing in rows:
        buckets.setdefault(label, []).append(standing)
    result = []
    for label in sorted(buckets):
        items = buckets[label]
        scores = [s.score for s in items if s.score is not None]
        result.append(
            Group(
                label=label,
                assigned=len(items),
                done=sum(1 for s in items if s.done),
                overdue=sum(1 for s in items if s.overdue),
                average=round(sum(scores) / len(scores), 1) if scores else None,
            )
        )
    return result


def visible_modules(organisation: Organisation) -> QuerySet[TrainingModule]:
    """The catalogue's active modules and the establishment's own."""
    return TrainingModule.objects.filter(
        Q(organisation=None) | Q(organisation=organisation), active=True
    ).order_by("organisation_id", "slug")

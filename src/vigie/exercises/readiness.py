"""The "exercises" pillar of readiness: the yearly cyber crisis exercise (mandatory for French
hospitals), its lessons learned, and the actions it decided, as they stood at `now`."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vigie.engines.readiness import Reason
from vigie.exercises.models import Exercise, ExerciseAction, Lesson
from vigie.readiness.pillars import PillarSpec, register_pillar
from vigie.tenancy.models import Organisation

YEAR = timedelta(days=365)
NONE_POINTS = 100
YEARLY_POINTS = 50
NO_LESSONS_POINTS = 20
OVERDUE_POINTS_EACH = 5
OVERDUE_POINTS_CAP = 30


def provider(organisation: Organisation, now: datetime) -> list[Reason]:
    done = (
        Exercise.objects.filter(organisation=organisation, created_at__lte=now, ended_at__lte=now)
        .exclude(ended_at__isnull=True)
        .order_by("-ended_at", "-pk")
    )
    last = done.first()
    if last is None or last.ended_at is None:
        return [Reason("exercises.none", {}, NONE_POINTS)]
    ended = timezone.localtime(last.ended_at).date()
    reasons = [Reason("exercises.last_done", {"date": ended, "title": last.title}, 0)]
    if last.ended_at < now - YEAR:
        reasons.append(Reason("exercises.yearly_due", {"date": ended}, YEARLY_POINTS))
    if not Lesson.objects.filter(exercise=last, created_at__lte=now).exists():
        reasons.append(Reason("exercises.no_lessons", {"title": last.title}, NO_LESSONS_POINTS))
    overdue = (
        ExerciseAction.objects.filter(
            exercise__organisation=organisation,
            created_at__lte=now,
            due_on__lt=timezone.localdate(now),
        )
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gt=now))
        .count()
    )
    if overdue:
        points = min(OVERDUE_POINTS_CAP, OVERDUE_POINTS_EACH * overdue)
        reasons.append(Reason("exercises.actions_overdue", {"count": overdue}, points))
    return reasons


register_pillar(
    PillarSpec(
        code="exercises",
        label=_("Crisis exercises"),
        order=40,
        provider=provider,
        reason_texts={
            "exercises.none": _("No crisis exercise done yet: one is due every year."),
            "exercises.last_done": _("Last crisis exercise done on %(date)s: “%(title)s”."),
            "exercises.yearly_due": _(
                "The yearly crisis exercise is due: the last one was done on %(date)s."
            ),
            "exercises.no_lessons": _(
                "The last exercise, “%(title)s”, has no lessons learned (RETEX) written."
            ),
            "exercises.actions_overdue": _("Exercise actions past their due date: %(count)s."),
        },
        url_name="exercises:list",
    )
)

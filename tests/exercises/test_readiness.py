"""The "exercises" readiness pillar, computed as of a given time."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from vigie.engines.readiness import score_of
from vigie.exercises import actions
from vigie.exercises.models import Exercise, ExerciseAction
from vigie.exercises.readiness import provider
from vigie.readiness.pillars import pillars, reason_text
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import Organisation


def _done(exercise: Exercise, days_ago: int) -> None:
    now = timezone.now()
    Exercise.objects.filter(pk=exercise.pk).update(
        status="done",
        started_at=now - timedelta(days=days_ago, hours=4),
        ended_at=now - timedelta(days=days_ago),
        created_at=now - timedelta(days=days_ago + 30),
    )


def test_no_exercise_ever_takes_all_the_points(est_a: Organisation) -> None:
    reasons = provider(est_a, timezone.now())
    assert [(r.code, r.points) for r in reasons] == [("exercises.none", 100)]
    spec = next(s for s in pillars() if s.code == "exercises")
    assert spec.order == 40
    assert spec.url_name == "exercises:list"
    for code in ("exercises.none", "exercises.yearly_due", "exercises.actions_overdue"):
        assert reason_text(code) is not None


def test_a_recent_exercise_with_lessons_scores_full(
    a_access: OrgAccess, exercise: Exercise, est_a: Organisation
) -> None:
    _done(exercise, 30)
    actions.add_lesson(a_access, Exercise.objects.get(pk=exercise.pk), kind="went_well", text="ok")
    reasons = provider(est_a, timezone.now())
    assert [r.code for r in reasons] == ["exercises.last_done"]
    assert score_of(reasons) == 100


def test_an_old_exercise_without_lessons_and_overdue_actions_lose_points(
    a_access: OrgAccess, exercise: Exercise, est_a: Organisation
) -> None:
    _done(exercise, 400)
    for n in range(8):
        action = actions.add_action(
            a_access, exercise, title=f"a{n}", due_on=date(2020, 1, 1), owner_name="X"
        )
        ExerciseAction.objects.filter(pk=action.pk).update(
            created_at=timezone.now() - timedelta(days=390)
        )
    reasons = {r.code: r for r in provider(est_a, timezone.now())}
    assert reasons["exercises.yearly_due"].points == 50
    assert reasons["exercises.no_lessons"].points == 20
    assert reasons["exercises.actions_overdue"].params["count"] == 8
    assert reasons["exercises.actions_overdue"].points == 30  # capped


def test_computed_as_of_a_past_time(exercise: Exercise, est_a: Organisation) -> None:
    _done(exercise, 30)
    # Sixty days ago the exercise had not happened yet.
    past = provider(est_a, timezone.now() - timedelta(days=60))
    assert [r.code for r in past] == ["exercises.none"]

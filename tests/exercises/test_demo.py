"""The demo exercises: the CHU's ransomware exercise with its RETEX, idempotent."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from tests.helpers import signed_in
from vigie.core.demo import DemoReport
from vigie.core.demo.organisations import load_organisations
from vigie.exercises.demo import load_exercises
from vigie.exercises.models import (
    ActionStatus,
    Exercise,
    ExerciseAction,
    Lesson,
    Observation,
    Participant,
)
from vigie.exercises.readiness import provider
from vigie.tenancy.models import Organisation


def _counts() -> tuple[int, ...]:
    return tuple(
        m.objects.count() for m in (Exercise, ExerciseAction, Lesson, Observation, Participant)
    )


def test_demo_loads_the_exercises_once(db: Any) -> None:
    report = DemoReport()
    load_organisations(report)
    load_exercises(report)
    first = _counts()
    load_exercises(DemoReport())
    assert _counts() == first
    chu = Organisation.objects.get(slug="chu-val-de-loire")
    done = Exercise.objects.get(organisation=chu, status="done")
    assert Exercise.objects.filter(organisation=chu, status="planned").count() == 1
    assert done.injects.filter(delivered_at__isnull=True).count() == 0
    assert {p.role for p in done.participants.all()} == {"facilitator", "player", "observer"}
    assert done.participants.filter(function__icontains="ARS").exists()
    assert done.lessons.count() >= 3
    assert done.observations.count() >= 5
    today = timezone.localdate()
    rows = list(done.actions.all())
    assert len(rows) == 5
    assert sum(a.status == ActionStatus.DONE for a in rows) == 3
    open_rows = [a for a in rows if a.status == ActionStatus.OPEN]
    assert sorted(a.due_on < today for a in open_rows) == [False, True]
    reasons = {r.code for r in provider(chu, timezone.now())}
    assert "exercises.actions_overdue" in reasons
    assert "exercises.yearly_due" not in reasons
    montclair = Organisation.objects.get(slug="ch-montclair")
    assert "exercises.yearly_due" in {r.code for r in provider(montclair, timezone.now())}


def test_demo_pages_show_the_exercise(db: Any) -> None:
    from django.contrib.auth import get_user_model

    load_organisations(DemoReport())
    load_exercises(DemoReport())
    done = Exercise.objects.get(organisation__slug="chu-val-de-loire", status="done")
    client = signed_in(get_user_model().objects.get(username="chu.directrice"))
    page = client.get(f"/o/chu-val-de-loire/exercises/{done.pk}/")
    assert page.status_code == 200
    assert "Isabelle Caron" in page.content.decode()
    assert client.get(f"/o/chu-val-de-loire/exercises/{done.pk}/report.pdf").status_code == 200
    assert client.get("/o/chu-val-de-loire/exercises/actions/").status_code == 200

"""The readiness pillar "training", as of a moment, and the demo loader (run twice = same)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from vigie.core.demo import DemoReport
from vigie.readiness.pillars import pillars, reason_text
from vigie.tenancy.models import Organisation
from vigie.training import actions
from vigie.training.models import Assignment, Completion
from vigie.training.readiness import training_reasons

from .support import access_for, assign, right_answers


def test_nothing_assigned_in_twelve_months_takes_all_the_points(
    est_a: Organisation, a_admin: Any
) -> None:
    now = timezone.now()
    assert [(r.code, r.points) for r in training_reasons(est_a, now)] == [
        ("training.nothing_assigned", 100)
    ]
    old = assign(a_admin, est_a)
    Assignment.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=400))
    assert training_reasons(est_a, now)[0].code == "training.nothing_assigned"


def test_points_follow_the_missing_and_overdue_shares_as_of_now(
    est_a: Organisation, a_admin: Any, a_viewer: Any, a_engineer: Any
) -> None:
    assignment = assign(a_admin, est_a)
    module = assignment.module
    taken = actions.complete(
        access_for(a_admin, est_a), module, right_answers(module), version=module.version
    )
    now = timezone.now()
    reasons = {r.code: r for r in training_reasons(est_a, now)}
    assert reasons["training.incomplete"].params == {"done": 1, "assigned": 3, "percent": 33}
    assert reasons["training.incomplete"].points == 40
    assert "training.overdue" not in reasons

    # Past due: two of three are late.
    Assignment.objects.filter(pk=assignment.pk).update(
        due_on=timezone.localdate() - timedelta(days=1)
    )
    reasons = {r.code: r for r in training_reasons(est_a, now)}
    assert reasons["training.overdue"].params == {"overdue": 2, "assigned": 3}
    assert reasons["training.overdue"].points == 27

    # As of a moment before the completion, it did not count yet.
    Completion.objects.filter(pk=taken.completion.pk).update(completed_at=now + timedelta(hours=1))
    reasons = {r.code: r for r in training_reasons(est_a, now)}
    assert reasons["training.incomplete"].params["done"] == 0


def test_everyone_passed_is_a_positive_fact(est_a: Organisation, a_admin: Any) -> None:
    assignment = assign(a_admin, est_a)
    module = assignment.module
    actions.complete(
        access_for(a_admin, est_a), module, right_answers(module), version=module.version
    )
    reasons = training_reasons(est_a, timezone.now())
    assert [(r.code, r.points) for r in reasons] == [("training.all_done", 0)]


def test_the_pillar_is_registered_with_its_texts() -> None:
    spec = next(s for s in pillars() if s.code == "training")
    assert (spec.order, spec.url_name) == (50, "training:index")
    for code in ("nothing_assigned", "incomplete", "all_done", "overdue"):
        text = reason_text(f"training.{code}")
        assert text is not None
        str(text) % {"done": 1, "assigned": 2, "percent": 50, "overdue": 1}


def test_the_demo_loads_assignments_and_results_and_is_idempotent(db: Any) -> None:
    from vigie.core.demo.organisations import load_organisations
    from vigie.training.demo import load_training

    load_organisations(DemoReport())
    load_training(DemoReport())
    counts = (Assignment.objects.count(), Completion.objects.count())
    load_training(DemoReport())
    assert (Assignment.objects.count(), Completion.objects.count()) == counts
    chu = Organisation.objects.get(slug="chu-val-de-loire")
    assert Assignment.objects.filter(organisation=chu).count() == 2
    assert Assignment.objects.filter(organisation__slug="ch-montclair").exists()
    phishing = Assignment.objects.get(organisation=chu, module__slug="phishing")
    assert phishing.due_on < timezone.localdate()
    assert Completion.objects.filter(organisation=chu, passed=False).exists()
    assert Completion.objects.filter(organisation=chu, passed=True).exists()
    reasons = {r.code for r in training_reasons(chu, timezone.now())}
    assert {"training.incomplete", "training.overdue"} <= reasons

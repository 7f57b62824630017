"""Review reminders: the establishment's channels hear once per due cycle that a plan's review
is overdue; a re-run sends nothing twice; a review starts a new cycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail

from tests.continuity.support import unit_with_plan
from vigie.continuity import actions
from vigie.continuity.actions import REVIEW_DUE, send_review_reminders
from vigie.continuity.models import ReviewReminder
from vigie.core import scheduling
from vigie.notify import outbox
from vigie.notify.models import Delivery
from vigie.tenancy.access import org_access
from vigie.tenancy.models import Organisation

pytestmark = pytest.mark.django_db
START = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)


def test_the_job_is_registered_daily() -> None:
    job = next(j for j in scheduling.registered_jobs() if j.name == "continuity-reviews")
    assert job.every == timedelta(days=1)


def test_an_overdue_review_is_told_once_to_the_channels(a_admin: Any, est_a: Organisation) -> None:
    a_admin.language = "en"
    a_admin.save()
    _unit, plan = unit_with_plan(est_a, "Radiologie", created_at=START, reviewed_at=START)
    with time_machine.travel(START + timedelta(days=360), tick=False):
        assert send_review_reminders().sent == 0  # not due yet
    with time_machine.travel(START + timedelta(days=370), tick=False):
        first = send_review_reminders()
        second = send_review_reminders()
        outbox.deliver_due()
    assert (first.sent, second.sent) == (1, 0)
    rows = Delivery.objects.filter(event=REVIEW_DUE)
    assert rows.count() >= 1
    assert rows.filter(recipient=a_admin.email).count() == 1
    assert ReviewReminder.objects.filter(plan=plan).count() == 1
    messages = [m for m in mail.outbox if a_admin.email in m.to]
    assert len(messages) == 1
    assert "Continuity plan to review: Radiologie" in messages[0].subject
    assert f"/continuity/units/{plan.care_unit_id}/" in messages[0].body


def test_a_review_starts_a_new_cycle_with_its_own_reminder(
    a_admin: Any, est_a: Organisation
) -> None:
    unit, plan = unit_with_plan(est_a, created_at=START, reviewed_at=START)
    with time_machine.travel(START + timedelta(days=370), tick=False):
        send_review_reminders()
        actions.mark_reviewed(org_access(a_admin, est_a.slug), unit.pk)
        assert send_review_reminders().sent == 0
    with time_machine.travel(START + timedelta(days=370 + 370), tick=False):
        assert send_review_reminders().sent == 1
    assert ReviewReminder.objects.filter(plan=plan).count() == 2
    keys = set(Delivery.objects.filter(event=REVIEW_DUE).values_list("idempotency_key", flat=True))
    assert len(keys) == 2


def test_a_plan_up_to_date_sends_nothing(a_admin: Any, est_a: Organisation) -> None:
    unit_with_plan(est_a)
    assert send_review_reminders().sent == 0
    assert not Delivery.objects.filter(event=REVIEW_DUE).exists()

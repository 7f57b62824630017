"""Deadline reminders: sent when their time comes, once each, to the right people, in their
language; a submitted report stops its reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail

from tests.incidents.support import declare_directly
from vigie.incidents.actions import send_due_reminders
from vigie.incidents.models import Entry, Reminder, Submission
from vigie.notify import outbox
from vigie.notify.models import Delivery
from vigie.tenancy.models import Organisation

pytestmark = pytest.mark.django_db
AWARE = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _early_warning_reminders() -> list[datetime]:
    return list(
        Reminder.objects.filter(code="nis2_early_warning")
        .order_by("reminder_at")
        .values_list("reminder_at", flat=True)
    )


def test_the_early_warning_is_reminded_six_hours_and_one_hour_before_and_when_missed(
    a_admin: Any, est_a: Organisation
) -> None:
    declare_directly(est_a, aware_at=AWARE, declared_by=a_admin, declared_at=AWARE)
    with time_machine.travel(AWARE + timedelta(hours=17), tick=False):
        send_due_reminders()
    assert _early_warning_reminders() == []
    with time_machine.travel(AWARE + timedelta(hours=18, minutes=1), tick=False):
        send_due_reminders()
    assert _early_warning_reminders() == [AWARE + timedelta(hours=18)]
    with time_machine.travel(AWARE + timedelta(hours=25), tick=False):
        send_due_reminders()
    assert _early_warning_reminders() == [
        AWARE + timedelta(hours=18),
        AWARE + timedelta(hours=23),
        AWARE + timedelta(hours=24),
    ]
    # Both the 1-hour and the missed reminders were due at 25 h: only the latest was sent.
    skipped = Reminder.objects.filter(code="nis2_early_warning", skipped=True)
    assert list(skipped.values_list("reminder_at", flat=True)) == [AWARE + timedelta(hours=23)]


def test_a_case_found_late_gets_one_reminder_per_report_not_a_burst(
    a_admin: Any, est_a: Organisation
) -> None:
    a_admin.language = "en"
    a_admin.save()
    declare_directly(est_a, aware_at=AWARE, declared_by=a_admin, declared_at=AWARE)
    with time_machine.travel(AWARE + timedelta(hours=30), tick=False):
        run = send_due_reminders()
        outbox.deliver_due()
    # ARS/CERT Santé and the NIS2 early warning are overdue: one message each.
    assert run.sent == 2
    subjects = sorted(m.subject for m in mail.outbox if a_admin.email in m.to)
    assert len(subjects) == 2
    assert all("Deadline passed" in subject for subject in subjects)


def test_running_the_job_twice_sends_each_reminder_once(a_admin: Any, est_a: Organisation) -> None:
    declare_directly(est_a, aware_at=AWARE, declared_by=a_admin, declared_at=AWARE)
    with time_machine.travel(AWARE + timedelta(hours=19), tick=False):
        first = send_due_reminders()
        second = send_due_reminders()
    assert first.sent >= 1
    assert second.sent == 0
    rows = Delivery.objects.filter(event="incident.deadline")
    pairs = list(rows.values_list("idempotency_key", "recipient"))
    assert len(pairs) == len(set(pairs))
    # Each reminder once per person, though the declarer is also on the e-mail channel.
    assert sorted(r for _key, r in pairs) == sorted([a_admin.email] * first.sent)


def test_a_submitted_report_is_not_reminded(a_admin: Any, est_a: Organisation) -> None:
    incident = declare_directly(est_a, aware_at=AWARE, declared_by=a_admin, declared_at=AWARE)
    Submission.objects.create(
        incident=incident,
        code="nis2_early_warning",
        channel="ANSSI",
        submitted_at=AWARE + timedelta(hours=3),
        language="fr",
        snapshot={},
    )
    with time_machine.travel(AWARE + timedelta(hours=30), tick=False):
        send_due_reminders()
    assert _early_warning_reminders() == []
    assert Reminder.objects.filter(code="ars_cert_sante").exists()


def test_a_closed_case_gets_no_reminder(a_admin: Any, est_a: Organisation) -> None:
    declare_directly(est_a, aware_at=AWARE, declared_by=a_admin, declared_at=AWARE, phase="closed")
    with time_machine.travel(AWARE + timedelta(days=3), tick=False):
        assert send_due_reminders().sent == 0


def test_the_missed_deadline_mail_reaches_the_declarer_in_their_language(
    make_user: Any, est_a: Organisation
) -> None:
    declarer = make_user(
        "rssi.fr", est_a, "security_officer", language="fr", time_zone="Europe/Paris"
    )
    incident = declare_directly(est_a, aware_at=AWARE, declared_by=declarer, declared_at=AWARE)
    with time_machine.travel(AWARE + timedelta(hours=24, minutes=2), tick=False):
        send_due_reminders()
        outbox.deliver_due()
    missed = [m for m in mail.outbox if "NIS2" in m.subject and declarer.email in m.to]
    assert missed, [m.subject for m in mail.outbox]
    text = missed[-1].body
    assert incident.reference in missed[-1].subject
    assert "dépassée" in missed[-1].subject
    assert "Alerte précoce NIS2" in text
    # 08:00 UTC on 3 March is 09:00 in Paris.
    assert "mardi 3 mars 2026 à 9 h 00" in text
    assert Entry.objects.filter(incident=incident, kind="reminder").exists()

"""The daily job: an overdue open action is told once to its owner (or the channels)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core import mail
from django.utils import timezone

from vigie.exercises import actions
from vigie.exercises.models import ActionReminder, Exercise
from vigie.notify import outbox
from vigie.notify.models import Channel, ChannelKind, Delivery
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import Membership, Organisation

PAST = date(2020, 1, 1)


def test_an_overdue_action_is_told_to_its_owner_once_in_their_language(
    a_access: OrgAccess, exercise: Exercise, make_user: Any, est_a: Organisation
) -> None:
    owner = make_user("rssi.en", est_a, "security_officer", language="en")
    action = actions.add_action(
        a_access,
        exercise,
        title="Update the on-call list",
        due_on=PAST,
        owner_id=Membership.objects.get(user=owner).pk,
    )
    actions.add_action(
        a_access,
        exercise,
        title="Not due",
        due_on=timezone.localdate() + timedelta(days=10),
        owner_name="X",
    )
    run = actions.send_overdue_reminders()
    assert (run.sent, run.overdue) == (1, 1)
    deliveries = Delivery.objects.filter(event="exercise.action_due")
    assert [d.recipient for d in deliveries] == [owner.email]
    assert ActionReminder.objects.get().action == action
    # A second run sends nothing more.
    assert actions.send_overdue_reminders().sent == 0
    assert Delivery.objects.filter(event="exercise.action_due").count() == 1
    outbox.deliver_due()
    sent = [m for m in mail.outbox if owner.email in m.to]
    assert len(sent) == 1
    assert "Update the on-call list" in sent[0].subject
    assert "Wednesday 1 January 2020" in sent[0].body


def test_an_outsider_owned_action_goes_to_the_establishments_channels(
    a_access: OrgAccess, exercise: Exercise, est_a: Organisation, a_admin: Any
) -> None:
    Channel.objects.create(organisation=est_a, kind=ChannelKind.EMAIL, name="RSSI", roles=["admin"])
    actions.add_action(a_access, exercise, title="Prestataire", due_on=PAST, owner_name="DSI")
    assert actions.send_overdue_reminders().sent == 1
    recipients = set(
        Delivery.objects.filter(event="exercise.action_due").values_list("recipient", flat=True)
    )
    assert a_admin.email in recipients


def test_a_closed_action_is_not_reminded(a_access: OrgAccess, exercise: Exercise) -> None:
    action = actions.add_action(a_access, exercise, title="x", due_on=PAST, owner_name="X")
    actions.close_action(a_access, action)
    assert actions.send_overdue_reminders().overdue == 0
    assert not Delivery.objects.filter(event="exercise.action_due").exists()


def test_the_job_is_registered_daily() -> None:
    from vigie.core.scheduling import registered_jobs

    job = next(j for j in registered_jobs() if j.name == "exercise-actions")
    assert job.every == timedelta(days=1)

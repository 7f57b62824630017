"""Assignments: the audience by role and care unit (newcomers included), and the e-mails that
tell each person once, in their language, through a real SMTP server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.helpers import MailBox, mail_text
from vigie.audit.models import Action, AuditEvent
from vigie.notify.models import Delivery
from vigie.tenancy.models import CareUnit, Organisation
from vigie.tenancy.roles import Role
from vigie.training import actions
from vigie.training.models import AssignmentNotice
from vigie.training.progress import audience

from .support import access_for, assign, module, set_unit


def test_the_audience_is_computed_from_roles_and_care_units(
    est_a: Organisation, a_admin: Any, a_viewer: Any, a_engineer: Any, make_user: Callable[..., Any]
) -> None:
    urgences = CareUnit.objects.create(organisation=est_a, name="Urgences")
    radio = CareUnit.objects.create(organisation=est_a, name="Radiologie")
    set_unit(a_viewer, est_a, urgences)
    set_unit(a_engineer, est_a, radio)
    everyone = assign(a_admin, est_a)
    viewers = assign(a_admin, est_a, roles=[Role.VIEWER])
    in_units = assign(a_admin, est_a, units=[urgences, radio])
    both = assign(a_admin, est_a, roles=[Role.VIEWER], units=[radio])

    def names(assignment: Any) -> set[str]:
        return {m.user.username for m in audience(assignment)}

    assert names(everyone) == {"a.admin", "a.viewer", "a.biomed"}
    assert names(viewers) == {"a.viewer"}
    assert names(in_units) == {"a.viewer", "a.biomed"}
    assert names(both) == set()
    # A newcomer is included without touching the assignment.
    newcomer = make_user("a.nurse", est_a, Role.VIEWER)
    set_unit(newcomer, est_a, radio)
    assert names(both) == {"a.nurse"}


def test_an_assignment_is_audited(est_a: Organisation, a_admin: Any) -> None:
    assignment = assign(a_admin, est_a)
    event = AuditEvent.objects.get(action=Action.TRAINING_ASSIGNED)
    assert event.target_id == str(assignment.pk)
    assert event.details["module"] == "phishing"


def test_a_viewer_may_not_assign_and_a_unit_of_another_establishment_is_refused(
    est_a: Organisation, est_b: Organisation, a_admin: Any, a_viewer: Any
) -> None:
    with pytest.raises(actions.TrainingRefused) as caught:
        assign(a_viewer, est_a)
    assert caught.value.code == "not_allowed"
    foreign = CareUnit.objects.create(organisation=est_b, name="Ailleurs")
    with pytest.raises(actions.TrainingRefused) as caught:
        assign(a_admin, est_a, units=[foreign])
    assert caught.value.code == "unknown_unit"
    with pytest.raises(actions.TrainingRefused) as caught:
        assign(a_admin, est_a, roles=["analyst"])
    assert caught.value.code == "bad_role"


def test_each_person_assigned_is_emailed_once_in_their_language(
    smtp_server: MailBox,
    est_a: Organisation,
    a_admin: Any,
    make_user: Callable[..., Any],
) -> None:
    nurse = make_user("a.nurse", est_a, Role.VIEWER, language="en")
    make_user("a.doctor", est_a, Role.VIEWER, language="fr")
    assignment = assign(a_admin, est_a, roles=[Role.VIEWER])
    messages = smtp_server.wait_for(2)
    by_to = {m["To"]: m for m in messages}
    assert set(by_to) == {"a.nurse@example.org", "a.doctor@example.org"}
    english, french = by_to["a.nurse@example.org"], by_to["a.doctor@example.org"]
    assert "Recognising phishing" in english["Subject"]
    assert "Reconnaître un hameçonnage" in french["Subject"]
    assert english["X-Vigie-Event"] == "training.assigned"
    assert f"/o/chu-alpha/training/modules/{assignment.module_id}/" in mail_text(english)
    assert "10 minutes" in mail_text(english)
    assert AssignmentNotice.objects.filter(assignment=assignment).count() == 2
    assert Delivery.objects.filter(event="training.assigned").count() == 2

    # Re-running (a crash, the periodic job) tells nobody twice; a newcomer is told once.
    make_user("a.late", est_a, Role.VIEWER)
    assert actions.tell_newcomers() == 1
    assert actions.tell_newcomers() == 0
    smtp_server.wait_for(3)
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "a.doctor@example.org",
        "a.late@example.org",
        "a.nurse@example.org",
    ]
    assert nurse.pk in set(assignment.notices.values_list("user_id", flat=True))


def test_newcomers_are_not_told_of_an_assignment_past_due(
    est_a: Organisation, a_admin: Any, make_user: Callable[..., Any]
) -> None:
    assignment = assign(a_admin, est_a)
    assignment.due_on = timezone.localdate() - timedelta(days=1)
    assignment.save()
    make_user("a.late", est_a, Role.VIEWER)
    assert actions.tell_newcomers() == 0


def test_the_catalogue_module_must_be_active(est_a: Organisation, a_admin: Any) -> None:
    phishing = module()
    phishing.active = False
    phishing.save()
    with pytest.raises(actions.TrainingRefused) as caught:
        actions.assign(
            access_for(a_admin, est_a),
            module=phishing,
            roles=[],
            care_units=[],
            due_on=timezone.localdate(),
        )
    assert caught.value.code == "unknown_module"

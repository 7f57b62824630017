"""Preparing, running and following up an exercise through `vigie.exercises.actions`."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import translation

from tests.exercises.conftest import access_of
from vigie.audit.models import Action, AuditEvent
from vigie.exercises import actions
from vigie.exercises.models import ActionStatus, Exercise, Inject, Status
from vigie.exercises.scenarios import RANSOMWARE, TEMPLATES
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import Membership, Organisation


def test_ransomware_template_has_a_realistic_timeline() -> None:
    offsets = [i.offset_minutes for i in RANSOMWARE.injects]
    assert offsets == sorted(offsets)
    assert offsets[0] == 0
    assert offsets[-1] >= 180
    assert len(offsets) >= 10
    assert {i.channel for i in RANSOMWARE.injects} >= {"phone", "press", "email", "social"}
    assert len(TEMPLATES) >= 3


def test_exercise_from_template_copies_injects_in_the_creators_language(
    a_access: OrgAccess, a_admin: Any
) -> None:
    a_admin.language = "en"
    a_admin.save()
    exercise = actions.create_exercise(
        a_access, title="", kind="tabletop", planned_for=date(2026, 3, 1), template="ransomware"
    )
    injects = list(exercise.injects.all())
    assert len(injects) == len(RANSOMWARE.injects)
    with translation.override("en"):
        assert exercise.title == str(RANSOMWARE.title)
        assert injects[0].title == str(RANSOMWARE.injects[0].title)
    assert injects[0].offset_minutes == 0
    assert injects[-1].offset_minutes == 180
    # The injects are the exercise's own data: changing one touches no other exercise.
    other = actions.create_exercise(
        a_access, title="B", kind="tabletop", planned_for=date(2026, 4, 1), template="ransomware"
    )
    Inject.objects.filter(exercise=exercise).update(title="changed")
    assert other.injects.exclude(title="changed").count() == len(RANSOMWARE.injects)


def test_blank_exercise_has_no_injects(a_access: OrgAccess) -> None:
    exercise = actions.create_exercise(
        a_access, title="Blank", kind="functional", planned_for=date(2026, 3, 1)
    )
    assert exercise.injects.count() == 0
    assert exercise.status == Status.PLANNED


def test_unknown_template_is_refused(a_access: OrgAccess) -> None:
    with pytest.raises(actions.ExerciseRefused) as refused:
        actions.create_exercise(
            a_access, title="x", kind="tabletop", planned_for=date(2026, 3, 1), template="nope"
        )
    assert refused.value.code == "unknown_template"
    assert not Exercise.objects.exists()


def test_exercise_goes_planned_running_done_and_injects_only_deliver_while_running(
    a_access: OrgAccess, exercise: Exercise
) -> None:
    inject = exercise.injects.first()
    assert inject is not None
    with pytest.raises(actions.ExerciseRefused):
        actions.deliver_inject(a_access, exercise, inject.pk)
    with pytest.raises(actions.ExerciseRefused):
        actions.end_exercise(a_access, exercise)
    exercise = actions.start_exercise(a_access, exercise)
    assert exercise.status == Status.RUNNING
    assert exercise.started_at is not None
    delivered = actions.deliver_inject(a_access, exercise, inject.pk)
    first_time = delivered.delivered_at
    assert first_time is not None
    # Delivering twice keeps the first time.
    assert actions.deliver_inject(a_access, exercise, inject.pk).delivered_at == first_time
    actions.add_observation(a_access, exercise, text="Hotline called", kind="gap")
    exercise = actions.end_exercise(a_access, exercise)
    assert exercise.status == Status.DONE
    assert exercise.ended_at is not None
    with pytest.raises(actions.ExerciseRefused):
        actions.start_exercise(a_access, exercise)
    assert AuditEvent.objects.filter(action=Action.EXERCISE_SAVED).count() == 3


def test_observation_before_the_start_is_refused(a_access: OrgAccess, exercise: Exercise) -> None:
    with pytest.raises(actions.ExerciseRefused) as refused:
        actions.add_observation(a_access, exercise, text="too early")
    assert refused.value.code == "not_started"


def test_inject_of_another_exercise_is_unknown(a_access: OrgAccess, exercise: Exercise) -> None:
    other = actions.create_exercise(
        a_access, title="o", kind="tabletop", planned_for=date(2026, 3, 1), template="dpi_outage"
    )
    exercise = actions.start_exercise(a_access, exercise)
    foreign = other.injects.first()
    assert foreign is not None
    with pytest.raises(actions.ExerciseRefused) as refused:
        actions.deliver_inject(a_access, exercise, foreign.pk)
    assert refused.value.code == "unknown_inject"


def test_participants_are_members_of_the_establishment_or_outsiders_by_name(
    a_access: OrgAccess, exercise: Exercise, a_viewer: Any, b_admin: Any, est_b: Organisation
) -> None:
    viewer = Membership.objects.get(user=a_viewer)
    actions.add_participant(a_access, exercise, role="player", membership_id=viewer.pk)
    actions.add_participant(
        a_access, exercise, role="observer", name="Isabelle Caron", function="ARS"
    )
    with pytest.raises(actions.ExerciseRefused) as refused:
        actions.add_participant(
            a_access, exercise, role="player", membership_id=Membership.objects.get(user=b_admin).pk
        )
    assert refused.value.code == "not_a_member"
    with pytest.raises(actions.ExerciseRefused):
        actions.add_participant(a_access, exercise, role="player")
    with pytest.raises(actions.ExerciseRefused):
        actions.add_participant(a_access, exercise, role="player", membership_id=viewer.pk)
    assert sorted(p.display_name for p in exercise.participants.all()) == sorted(
        ["Isabelle Caron", a_viewer.username]
    )


def test_action_owner_must_belong_to_the_establishment(
    a_access: OrgAccess, exercise: Exercise, b_admin: Any
) -> None:
    foreign = Membership.objects.get(user=b_admin)
    with pytest.raises(actions.ExerciseRefused) as refused:
        actions.add_action(
            a_access, exercise, title="x", due_on=date(2026, 5, 1), owner_id=foreign.pk
        )
    assert refused.value.code == "not_a_member"
    with pytest.raises(actions.ExerciseRefused) as refused:
        actions.add_action(a_access, exercise, title="x", due_on=date(2026, 5, 1))
    assert refused.value.code == "owner_member_or_name"
    outsider = actions.add_action(
        a_access, exercise, title="x", due_on=date(2026, 5, 1), owner_name="Prestataire DPI"
    )
    assert outsider.owner is None
    assert outsider.owner_display == "Prestataire DPI"


def test_closing_an_action_is_audited_and_done_once(
    a_access: OrgAccess, exercise: Exercise, a_admin: Any
) -> None:
    owner = Membership.objects.get(user=a_admin)
    action = actions.add_action(
        a_access, exercise, title="Annuaire", due_on=date(2026, 5, 1), owner_id=owner.pk
    )
    closed = actions.close_action(a_access, action, note="fait")
    assert closed.status == ActionStatus.DONE
    assert closed.closed_by == a_admin
    assert closed.closing_note == "fait"
    assert closed.closed_at is not None
    with pytest.raises(actions.ExerciseRefused):
        actions.close_action(a_access, closed)
    events = AuditEvent.objects.filter(action=Action.EXERCISE_ACTION)
    assert events.count() == 2


def test_the_owner_closes_their_own_action_without_running_exercises(
    a_access: OrgAccess, exercise: Exercise, a_viewer: Any, est_a: Organisation
) -> None:
    viewer = Membership.objects.get(user=a_viewer)
    mine = actions.add_action(
        a_access, exercise, title="Mine", due_on=date(2026, 5, 1), owner_id=viewer.pk
    )
    theirs = actions.add_action(
        a_access, exercise, title="Not mine", due_on=date(2026, 5, 1), owner_name="Someone"
    )
    viewer_access = access_of(a_viewer, est_a)
    actions.close_action(viewer_access, mine)
    with pytest.raises(actions.ExerciseRefused):
        actions.close_action(viewer_access, theirs)


def test_viewer_cannot_change_an_exercise(
    exercise: Exercise, a_viewer: Any, est_a: Organisation
) -> None:
    with pytest.raises(actions.ExerciseRefused):
        actions.start_exercise(access_of(a_viewer, est_a), exercise)
    with pytest.raises(actions.ExerciseRefused):
        actions.create_exercise(
            access_of(a_viewer, est_a), title="x", kind="tabletop", planned_for=date(2026, 1, 1)
        )


def test_observation_in_the_future_is_refused(a_access: OrgAccess, exercise: Exercise) -> None:
    from django.utils import timezone

    exercise = actions.start_exercise(a_access, exercise)
    with pytest.raises(actions.ExerciseRefused) as refused:
        actions.add_observation(
            a_access, exercise, text="later", at=timezone.now() + timedelta(hours=1)
        )
    assert refused.value.code == "bad_time"

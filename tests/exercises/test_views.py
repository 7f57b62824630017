"""The exercise pages through Django's test client: access, the live run, bad input."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.helpers import in_english, signed_in
from vigie.exercises import actions
from vigie.exercises.models import ActionStatus, Exercise, ExerciseAction, Status
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import Membership

BASE = "/o/chu-alpha/exercises/"


def test_member_reads_the_list_detail_and_actions(exercise: Exercise, a_viewer: Any) -> None:
    client = signed_in(a_viewer)
    listed = client.get(BASE)
    assert listed.status_code == 200
    assert exercise.title in listed.content.decode()
    assert 'data-testid="yearly-due"' in listed.content.decode()
    detail = client.get(f"{BASE}{exercise.pk}/")
    assert detail.status_code == 200
    assert "T+" in detail.content.decode() or "180 min" in detail.content.decode()
    assert client.get(f"{BASE}actions/").status_code == 200


@pytest.mark.parametrize(
    "path",
    ["", "new/", "actions/", "{pk}/", "{pk}/edit/", "{pk}/report.pdf"],
)
def test_other_establishment_and_centre_get_404(
    exercise: Exercise, b_admin: Any, centre_analyst: Any, path: str
) -> None:
    url = BASE + path.format(pk=exercise.pk)
    assert signed_in(b_admin).get(url).status_code == 404
    assert signed_in(centre_analyst).get(url).status_code == 404
    centre_url = "/o/centre/exercises/" + path.format(pk=exercise.pk)
    assert signed_in(centre_analyst).get(centre_url).status_code == 404


def test_anonymous_is_sent_to_login(exercise: Exercise) -> None:
    from django.test import Client

    response = Client().get(f"{BASE}{exercise.pk}/")
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_exercise_of_another_establishment_is_404_at_b(exercise: Exercise, b_admin: Any) -> None:
    response = signed_in(b_admin).get(f"/o/clinique-beta/exercises/{exercise.pk}/")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "path",
    ["{pk}/start/", "{pk}/end/", "{pk}/participants/", "{pk}/observations/", "{pk}/lessons/"],
)
def test_viewer_gets_403_on_changes(exercise: Exercise, a_viewer: Any, path: str) -> None:
    response = signed_in(a_viewer).post(BASE + path.format(pk=exercise.pk), {})
    assert response.status_code == 403
    assert signed_in(a_viewer).get(f"{BASE}new/").status_code == 403


def test_changes_are_post_only(exercise: Exercise, a_admin: Any) -> None:
    assert signed_in(a_admin).get(f"{BASE}{exercise.pk}/start/").status_code == 405


def test_create_from_a_template_then_run_the_exercise(a_admin: Any) -> None:
    client = in_english(signed_in(a_admin))
    form = client.get(f"{BASE}new/")
    assert form.status_code == 200
    assert "ransomware" in form.content.decode()
    created = client.post(
        f"{BASE}new/",
        {"template": "ransomware", "title": "", "kind": "tabletop", "planned_for": "2026-06-01"},
    )
    exercise = Exercise.objects.get()
    assert created.status_code == 302
    assert created["Location"] == f"{BASE}{exercise.pk}/"
    assert exercise.injects.count() >= 10
    assert client.post(f"{BASE}{exercise.pk}/start/").status_code == 302
    inject = exercise.injects.first()
    assert inject is not None
    page = client.get(f"{BASE}{exercise.pk}/").content.decode()
    assert "Deliver now" in page
    assert "autofocus" in page
    client.post(f"{BASE}{exercise.pk}/injects/{inject.pk}/deliver/")
    inject.refresh_from_db()
    assert inject.delivered_at is not None
    client.post(
        f"{BASE}{exercise.pk}/observations/",
        {"o-text": "La hotline appelle l'astreinte", "o-kind": "strength", "o-inject": inject.pk},
    )
    assert exercise.observations.get().inject == inject
    client.post(f"{BASE}{exercise.pk}/end/")
    exercise.refresh_from_db()
    assert exercise.status == Status.DONE
    client.post(f"{BASE}{exercise.pk}/lessons/", {"l-kind": "to_improve", "l-text": "Annuaire"})
    owner = Membership.objects.get(user=a_admin)
    client.post(
        f"{BASE}{exercise.pk}/actions/",
        {"a-title": "Mettre à jour l'annuaire", "a-owner": owner.pk, "a-due_on": "2026-07-01"},
    )
    action = ExerciseAction.objects.get()
    closed = client.post(
        f"{BASE}{exercise.pk}/actions/{action.pk}/close/", {"note": "fait", "next": "actions"}
    )
    assert closed.status_code == 302
    assert closed["Location"] == f"{BASE}actions/"
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE
    assert client.get(f"{BASE}{exercise.pk}/edit/").status_code == 200
    edited = client.post(
        f"{BASE}{exercise.pk}/edit/",
        {"title": "Renamed", "kind": "functional", "planned_for": "2026-06-02"},
    )
    assert edited.status_code == 302
    exercise.refresh_from_db()
    assert exercise.title == "Renamed"


def test_bad_input_is_refused_with_a_message_and_nothing_written(
    exercise: Exercise, a_admin: Any, b_admin: Any
) -> None:
    client = in_english(signed_in(a_admin))
    foreign = Membership.objects.get(user=b_admin)
    response = client.post(
        f"{BASE}{exercise.pk}/actions/",
        {"a-title": "x", "a-owner": foreign.pk, "a-due_on": "2026-07-01"},
        follow=True,
    )
    assert response.status_code == 200
    assert "The action was not added." in response.content.decode()
    response = client.post(
        f"{BASE}{exercise.pk}/actions/",
        {"a-title": "x", "a-owner_name": "Someone", "a-due_on": "not a date"},
        follow=True,
    )
    assert "Due date" in response.content.decode()
    assert not ExerciseAction.objects.exists()
    bad = client.post(f"{BASE}new/", {"template": "nope", "kind": "tabletop"})
    assert bad.status_code == 200
    assert "nope" in bad.content.decode()
    response = client.post(
        f"{BASE}{exercise.pk}/observations/", {"o-text": "x", "o-kind": "fact"}, follow=True
    )
    assert "not started" in response.content.decode()
    assert not exercise.observations.exists()


def test_unknown_action_or_inject_ids_are_404_or_refused(
    exercise: Exercise, a_admin: Any, a_access: OrgAccess
) -> None:
    client = signed_in(a_admin)
    assert client.post(f"{BASE}{exercise.pk}/actions/999999/close/").status_code == 404
    assert client.post(f"{BASE}999999/start/").status_code == 404
    other = actions.create_exercise(
        a_access, title="o", kind="tabletop", planned_for=date(2026, 3, 1)
    )
    action = actions.add_action(a_access, other, title="x", due_on=date(2026, 5, 1), owner_name="X")
    assert client.post(f"{BASE}{exercise.pk}/actions/{action.pk}/close/").status_code == 404

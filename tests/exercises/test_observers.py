"""An observer logs what she sees: the exercise's member participants may log observations even
when their account only reads the platform; other readers may not."""

from __future__ import annotations

from typing import Any

from tests.exercises.conftest import access_of
from tests.helpers import signed_in
from vigie.exercises import actions
from vigie.exercises.models import Exercise, Observation
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import Membership, Organisation

BASE = "/o/chu-alpha/exercises/"


def _running_with_observer(a_access: OrgAccess, exercise: Exercise, observer: Any) -> None:
    member = Membership.objects.get(user=observer, organisation=a_access.organisation)
    actions.add_participant(a_access, exercise, role="observer", membership_id=member.pk)
    actions.start_exercise(a_access, exercise)


def test_an_observer_who_only_reads_the_platform_logs_an_observation(
    a_access: OrgAccess, exercise: Exercise, a_viewer: Any
) -> None:
    _running_with_observer(a_access, exercise, a_viewer)
    client = signed_in(a_viewer)
    page = client.get(f"{BASE}{exercise.pk}/").content.decode()
    assert 'data-testid="observation-form"' in page
    response = client.post(
        f"{BASE}{exercise.pk}/observations/", {"o-text": "Standard saturé", "o-kind": "gap"}
    )
    assert response.status_code == 302
    observation = Observation.objects.get()
    assert (observation.author, observation.kind) == (a_viewer, "gap")


def test_a_reader_who_takes_no_part_cannot_log(
    a_access: OrgAccess,
    exercise: Exercise,
    a_viewer: Any,
    make_user: Any,
    est_a: Organisation,
) -> None:
    outsider = make_user("a.reader", est_a, "viewer")
    _running_with_observer(a_access, exercise, a_viewer)
    client = signed_in(outsider)
    assert (
        'data-testid="observation-form"' not in client.get(f"{BASE}{exercise.pk}/").content.decode()
    )
    response = client.post(f"{BASE}{exercise.pk}/observations/", {"o-text": "x", "o-kind": "fact"})
    assert response.status_code == 403
    assert not actions.may_observe(access_of(outsider, est_a), exercise)
    assert not Observation.objects.exists()

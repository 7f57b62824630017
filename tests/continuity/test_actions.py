"""Care units and plans changed through the actions: each change audited, each object of the
establishment only, the roles that may make it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.continuity.support import unit_with_plan
from vigie.audit.models import Action, AuditEvent
from vigie.continuity import actions
from vigie.continuity.actions import ContinuityRefused
from vigie.continuity.models import Contact, ContinuityPlan
from vigie.tenancy.access import org_access
from vigie.tenancy.models import CareUnit, Membership, Organisation
from vigie.tenancy.roles import Role

pytestmark = pytest.mark.django_db


def test_a_care_unit_is_created_then_renamed_and_both_are_audited(
    a_admin: Any, est_a: Organisation
) -> None:
    access = org_access(a_admin, est_a.slug)
    unit = actions.save_unit(access, "Radiologie", "RAD")
    actions.save_unit(access, "Imagerie médicale", "IMG", unit_id=unit.pk)
    unit.refresh_from_db()
    assert (unit.name, unit.code, unit.organisation) == ("Imagerie médicale", "IMG", est_a)
    events = AuditEvent.objects.filter(action=Action.CARE_UNIT_SAVED).order_by("at", "id")
    assert [e.details["name"] for e in events] == ["Radiologie", "Imagerie médicale"]
    last = events.last()
    assert last is not None
    assert last.details["before"] == "Radiologie"


def test_two_units_of_one_establishment_cannot_share_a_name(
    a_admin: Any, est_a: Organisation
) -> None:
    access = org_access(a_admin, est_a.slug)
    actions.save_unit(access, "Maternité")
    with pytest.raises(ContinuityRefused) as refused:
        actions.save_unit(access, "maternité")
    assert refused.value.code == "duplicate_unit"
    assert CareUnit.objects.filter(organisation=est_a).count() == 1


def test_another_establishments_unit_is_unknown(
    a_admin: Any, est_a: Organisation, est_b: Organisation
) -> None:
    theirs = CareUnit.objects.create(organisation=est_b, name="Bloc")
    access = org_access(a_admin, est_a.slug)
    for change in (
        lambda: actions.save_unit(access, "Pris", unit_id=theirs.pk),
        lambda: actions.save_plan(access, theirs.pk, {"kit_location": "x"}),
        lambda: actions.add_row(access, theirs.pk, "forms", {"name": "x", "kept_at": ""}),
    ):
        with pytest.raises(ContinuityRefused) as refused:
            change()
        assert refused.value.code == "unknown_unit"
    theirs.refresh_from_db()
    assert theirs.name == "Bloc"
    assert not ContinuityPlan.objects.exists()


def test_a_viewer_may_change_nothing(a_viewer: Any, est_a: Organisation) -> None:
    unit, _plan = unit_with_plan(est_a)
    access = org_access(a_viewer, est_a.slug)
    with pytest.raises(ContinuityRefused):
        actions.save_unit(access, "Autre")
    with pytest.raises(ContinuityRefused):
        actions.mark_reviewed(access, unit.pk)
    with pytest.raises(ContinuityRefused):
        actions.set_member_unit(access, access.membership.pk, unit.pk)


def test_a_member_is_put_in_a_care_unit_and_taken_out(
    a_admin: Any, a_viewer: Any, est_a: Organisation
) -> None:
    unit = CareUnit.objects.create(organisation=est_a, name="Pharmacie")
    access = org_access(a_admin, est_a.slug)
    viewer = Membership.objects.get(user=a_viewer)
    actions.set_member_unit(access, viewer.pk, unit.pk)
    viewer.refresh_from_db()
    assert viewer.care_unit == unit
    actions.set_member_unit(access, viewer.pk, None)
    viewer.refresh_from_db()
    assert viewer.care_unit is None


def test_a_member_of_another_establishment_cannot_be_put_in_a_unit(
    a_admin: Any, b_admin: Any, est_a: Organisation
) -> None:
    unit = CareUnit.objects.create(organisation=est_a, name="Pharmacie")
    access = org_access(a_admin, est_a.slug)
    with pytest.raises(ContinuityRefused) as refused:
        actions.set_member_unit(access, Membership.objects.get(user=b_admin).pk, unit.pk)
    assert refused.value.code == "unknown_member"


def test_a_director_writes_the_plan_row_by_row(make_user: Any, est_a: Organisation) -> None:
    director = make_user("a.director", est_a, Role.DIRECTOR)
    unit = CareUnit.objects.create(organisation=est_a, name="Maternité")
    access = org_access(director, est_a.slug)
    contact = actions.add_row(
        access,
        unit.pk,
        "contacts",
        {"name": "SAMU", "function": "", "phone": "15", "alternate_phone": "", "when_to_call": ""},
    )
    plan = ContinuityPlan.objects.get(care_unit=unit)
    actions.save_plan(access, unit.pk, {"kit_location": "Placard du poste de soins"})
    plan.refresh_from_db()
    assert plan.kit_location == "Placard du poste de soins"
    actions.delete_row(access, unit.pk, "contacts", contact.pk)
    assert not Contact.objects.filter(plan=plan).exists()
    audited = AuditEvent.objects.filter(action=Action.PLAN_SAVED, organisation=est_a)
    assert audited.count() == 4  # created, row added, plan saved, row deleted


def test_a_section_is_full_at_its_limit(a_admin: Any, est_a: Organisation) -> None:
    unit, plan = unit_with_plan(est_a)
    access = org_access(a_admin, est_a.slug)
    for i in range(actions.ROW_LIMITS["aid"]):
        actions.add_row(access, unit.pk, "aid", {"partner": f"CH {i}", "provides": []})
    with pytest.raises(ContinuityRefused) as refused:
        actions.add_row(access, unit.pk, "aid", {"partner": "CH de trop", "provides": []})
    assert refused.value.code == "too_many_rows"
    assert plan.mutual_aid.count() == actions.ROW_LIMITS["aid"]


def test_marking_reviewed_moves_the_next_review_a_period_ahead(
    a_admin: Any, est_a: Organisation
) -> None:
    unit, _plan = unit_with_plan(est_a, review_every_months=6)
    access = org_access(a_admin, est_a.slug)
    reviewed = actions.mark_reviewed(access, unit.pk)
    assert reviewed.reviewed_by == a_admin
    assert reviewed.last_reviewed_at is not None
    event = AuditEvent.objects.get(action=Action.PLAN_REVIEWED)
    assert event.details["next_review"] == reviewed.next_review_due.isoformat()
    assert (reviewed.next_review_due - reviewed.last_reviewed_at.date()).days in range(180, 186)

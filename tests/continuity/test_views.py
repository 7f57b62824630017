"""The continuity pages through real HTTP: who sees what, who changes what, and bad input
answered with clear errors and nothing written."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.continuity.support import unit_with_plan
from tests.helpers import in_english, signed_in
from vigie.continuity.models import Contact, ContinuityPlan, CriticalProcess, MutualAid
from vigie.tenancy.models import CareUnit, Membership, Organisation

pytestmark = pytest.mark.django_db


def _pages(org: str, unit_id: int) -> list[str]:
    base = f"/o/{org}/continuity/"
    return [
        base,
        f"{base}units/",
        f"{base}units/{unit_id}/",
        f"{base}units/{unit_id}/plan.pdf",
        f"{base}plans.pdf",
    ]


def test_every_member_reads_the_plans(a_viewer: Any, est_a: Organisation) -> None:
    unit, _plan = unit_with_plan(est_a)
    client = signed_in(a_viewer)
    for url in _pages(est_a.slug, unit.pk):
        assert client.get(url).status_code == 200, url
    page = client.get(f"/o/{est_a.slug}/continuity/").content.decode()
    assert "Urgences adultes" in page
    assert 'data-status="up_to_date"' in page


def test_a_viewer_may_not_change_anything(a_viewer: Any, est_a: Organisation) -> None:
    unit, plan = unit_with_plan(est_a)
    client = signed_in(a_viewer)
    base = f"/o/{est_a.slug}/continuity/units/"
    assert client.get(f"{base}{unit.pk}/edit/").status_code == 403
    for url, data in (
        (f"{base}new/", {"name": "Pharmacie"}),
        (f"{base}{unit.pk}/rename/", {f"unit{unit.pk}-name": "Autre"}),
        (f"{base}members/", {"membership": "1"}),
        (f"{base}{unit.pk}/edit/", {"kit_location": "x", "review_every_months": "12"}),
        (f"{base}{unit.pk}/reviewed/", {}),
        (f"{base}{unit.pk}/forms/", {"form-name": "Fiche"}),
        (f"{base}{unit.pk}/contacts/{plan.contacts.get().pk}/delete/", {}),
    ):
        assert client.post(url, data).status_code == 403, url
    assert CareUnit.objects.filter(organisation=est_a).count() == 1
    assert plan.contacts.count() == 1


def test_another_establishments_plans_are_not_found(
    b_admin: Any, a_admin: Any, est_a: Organisation, est_b: Organisation
) -> None:
    unit, plan = unit_with_plan(est_a)
    client = signed_in(b_admin)
    for url in _pages(est_a.slug, unit.pk):
        assert client.get(url).status_code == 404, url
    # B's admin naming A's unit in B's own pages: not found either.
    base = f"/o/{est_b.slug}/continuity/units/{unit.pk}/"
    for url in (base, f"{base}plan.pdf", f"{base}edit/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"{base}reviewed/").status_code == 404
    assert client.post(f"{base}contacts/{plan.contacts.get().pk}/delete/").status_code == 404
    assert plan.contacts.count() == 1


def test_the_centre_has_no_continuity_pages(
    centre_analyst: Any, centre: Organisation, est_a: Organisation
) -> None:
    unit, _plan = unit_with_plan(est_a)
    client = signed_in(centre_analyst)
    assert client.get(f"/o/{centre.slug}/continuity/").status_code == 404
    assert client.get(f"/o/{centre.slug}/continuity/units/").status_code == 404
    for url in _pages(est_a.slug, unit.pk):
        assert client.get(url).status_code == 404, url


def test_anonymous_visitors_are_sent_to_sign_in(est_a: Organisation) -> None:
    from django.test import Client

    response = Client().get(f"/o/{est_a.slug}/continuity/")
    assert response.status_code == 302
    assert "/login" in response["Location"] or "login" in response["Location"]


def test_an_admin_writes_a_plan_through_the_pages(a_admin: Any, est_a: Organisation) -> None:
    client = signed_in(a_admin)
    base = f"/o/{est_a.slug}/continuity/units/"
    response = client.post(f"{base}new/", {"name": "Laboratoire", "code": "LAB"})
    assert response.status_code == 302
    unit = CareUnit.objects.get(organisation=est_a, name="Laboratoire")
    assert client.get(f"{base}{unit.pk}/edit/").status_code == 200
    response = client.post(
        f"{base}{unit.pk}/edit/",
        {
            "admission_procedure": "Bons papier",
            "prescription_procedure": "Résultats téléphonés",
            "kit_location": "Armoire A2",
            "kit_contents": "",
            "kit_checked_on": timezone.localdate().isoformat(),
            "review_every_months": "12",
        },
    )
    assert response.status_code == 302
    client.post(
        f"{base}{unit.pk}/contacts/",
        {"contact-name": "Biologiste de garde", "contact-phone": "+33 2 47 47 45 12"},
    )
    client.post(
        f"{base}{unit.pk}/processes/",
        {
            "process-name": "Biologie d'urgence",
            "process-rto_hours": "2",
            "process-workaround": "Automates autonomes",
        },
    )
    client.post(
        f"{base}{unit.pk}/aid/",
        {
            "aid-partner": "CH de Montclair",
            "aid-provides": ["lab", "imaging"],
            "aid-tested_on": (timezone.localdate() - timedelta(days=10)).isoformat(),
        },
    )
    client.post(f"{base}{unit.pk}/forms/", {"form-name": "Bon de demande", "form-kept_at": "A2"})
    plan = ContinuityPlan.objects.get(care_unit=unit)
    assert plan.kit_location == "Armoire A2"
    assert plan.contacts.get().phone == "+33 2 47 47 45 12"
    assert plan.processes.get().rto_hours == 2
    assert plan.mutual_aid.get().provides == ["lab", "imaging"]
    assert plan.paper_forms.get().kept_at == "A2"
    assert client.post(f"{base}{unit.pk}/reviewed/").status_code == 302
    plan.refresh_from_db()
    assert plan.reviewed_by == a_admin
    detail = client.get(f"{base}{unit.pk}/").content.decode()
    for text in ("Biologiste de garde", "+33 2 47 47 45 12", "CH de Montclair", "Bon de demande"):
        assert text in detail


def test_a_member_is_given_a_care_unit_from_the_units_page(
    a_admin: Any, a_viewer: Any, est_a: Organisation
) -> None:
    unit = CareUnit.objects.create(organisation=est_a, name="Radiologie")
    viewer = Membership.objects.get(user=a_viewer)
    client = signed_in(a_admin)
    response = client.post(
        f"/o/{est_a.slug}/continuity/units/members/",
        {"membership": str(viewer.pk), "unit": str(unit.pk)},
    )
    assert response.status_code == 302
    viewer.refresh_from_db()
    assert viewer.care_unit == unit


def test_a_garbage_phone_number_is_refused_by_name(a_admin: Any, est_a: Organisation) -> None:
    unit, plan = unit_with_plan(est_a)
    client = in_english(signed_in(a_admin))
    response = client.post(
        f"/o/{est_a.slug}/continuity/units/{unit.pk}/contacts/",
        {"contact-name": "Bob", "contact-phone": "call Bob at home"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "is not a phone number" in page
    assert 'id="id_contact-phone_error"' in page
    assert plan.contacts.count() == 1


def test_a_negative_rto_is_refused(a_admin: Any, est_a: Organisation) -> None:
    unit, _plan = unit_with_plan(est_a)
    client = signed_in(a_admin)
    response = client.post(
        f"/o/{est_a.slug}/continuity/units/{unit.pk}/processes/",
        {"process-name": "Tri", "process-rto_hours": "-4"},
    )
    assert response.status_code == 400
    assert 'id="id_process-rto_hours_error"' in response.content.decode()
    assert not CriticalProcess.objects.exists()


def test_a_mutual_aid_tested_in_the_future_is_refused(a_admin: Any, est_a: Organisation) -> None:
    unit, _plan = unit_with_plan(est_a)
    client = in_english(signed_in(a_admin))
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(
        f"/o/{est_a.slug}/continuity/units/{unit.pk}/aid/",
        {"aid-partner": "CH de Montclair", "aid-tested_on": tomorrow.isoformat()},
    )
    assert response.status_code == 400
    assert "This date is in the future." in response.content.decode()
    assert not MutualAid.objects.exists()


def test_a_bad_plan_form_names_its_fields_and_saves_nothing(
    a_admin: Any, est_a: Organisation
) -> None:
    unit, plan = unit_with_plan(est_a)
    client = signed_in(a_admin)
    response = client.post(
        f"/o/{est_a.slug}/continuity/units/{unit.pk}/edit/",
        {"kit_location": "Ailleurs", "kit_checked_on": "31/02/2026", "review_every_months": "0"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_kit_checked_on_error"' in page
    assert 'id="id_review_every_months_error"' in page
    plan.refresh_from_db()
    assert plan.kit_location == "Armoire grise du poste IDE"


def test_a_duplicate_unit_name_is_shown_as_an_error(a_admin: Any, est_a: Organisation) -> None:
    _unit, _plan = unit_with_plan(est_a, name="Radiologie")
    client = in_english(signed_in(a_admin))
    response = client.post(f"/o/{est_a.slug}/continuity/units/new/", {"name": "radiologie"})
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert CareUnit.objects.filter(organisation=est_a).count() == 1


def test_deleting_a_row_of_another_plan_is_not_found(a_admin: Any, est_a: Organisation) -> None:
    unit, _plan = unit_with_plan(est_a, name="Radiologie")
    _other, other_plan = unit_with_plan(est_a, name="Maternité")
    client = signed_in(a_admin)
    row = Contact.objects.get(plan=other_plan)
    response = client.post(f"/o/{est_a.slug}/continuity/units/{unit.pk}/contacts/{row.pk}/delete/")
    assert response.status_code == 404
    assert Contact.objects.filter(pk=row.pk).exists()

"""The centre registers and edits the establishments it supports."""

from __future__ import annotations

import re
from typing import Any

from tests.helpers import MailBox
from vigie.audit.models import Action, AuditEvent
from vigie.tenancy.models import Invitation, Organisation
from vigie.tenancy.roles import Role

VALID = {
    "name": "Centre hospitalier de Gamma",
    "slug": "",
    "finess": "2A0000015",
    "structure_type": "ch",
    "region": "cor",
    "ght": "GHT Corse",
    "nis2_class": "important",
    "ose": "on",
}


def test_centre_admin_registers_an_establishment_and_invites_its_first_admin(
    centre_admin: Any, client_for: Any, smtp_server: MailBox
) -> None:
    response = client_for(centre_admin).post(
        "/o/centre/establishments/new/", {**VALID, "admin-email": "dsi@gamma.example"}
    )
    assert response.status_code == 302
    created = Organisation.objects.get(slug="centre-hospitalier-de-gamma")
    assert (created.finess, created.region, created.nis2_class, created.ose) == (
        "2A0000015",
        "cor",
        "important",
        True,
    )
    assert created.centre is not None
    assert created.centre.slug == "centre"
    invitation = Invitation.objects.get()
    assert (invitation.organisation, invitation.role) == (created, Role.ADMIN)
    assert smtp_server.wait_for(1)[0]["To"] == "dsi@gamma.example"
    assert AuditEvent.objects.filter(
        action=Action.ORG_CREATED, organisation__slug="centre"
    ).exists()


def test_bad_finess_and_duplicate_finess_are_reported_on_the_field(
    centre_admin: Any, est_a: Organisation, client_for: Any
) -> None:
    client = client_for(centre_admin)
    bad = client.post("/o/centre/establishments/new/", {**VALID, "finess": "12345"})
    assert bad.status_code == 200
    assert 'id="id_finess_error"' in bad.content.decode()
    duplicate = client.post("/o/centre/establishments/new/", {**VALID, "finess": est_a.finess})
    assert duplicate.status_code == 200
    assert Organisation.objects.filter(name=VALID["name"]).count() == 0


def test_analyst_sees_establishments_but_cannot_register_one(
    centre_analyst: Any, est_a: Organisation, client_for: Any
) -> None:
    client = client_for(centre_analyst)
    listing = client.get("/o/centre/establishments/?region=idf")
    assert listing.status_code == 200
    assert "CHU Alpha" in listing.content.decode()
    assert client.post("/o/centre/establishments/new/", VALID).status_code == 403


def test_centre_admin_edits_an_establishment_and_the_change_is_audited(
    centre_admin: Any, est_a: Organisation, client_for: Any
) -> None:
    client = client_for(centre_admin)
    response = client.post(
        "/o/centre/establishments/chu-alpha/edit/",
        {**VALID, "name": "CHU Alpha", "finess": est_a.finess, "nis2_class": "essential"},
    )
    assert response.status_code == 302
    est_a.refresh_from_db()
    assert est_a.region == "cor"
    event = AuditEvent.objects.get(action=Action.ORG_UPDATED)
    assert event.details["changes"]["region"] == ["idf", "cor"]


def test_centre_dashboard_charts_establishments_by_type(
    centre_analyst: Any, est_a: Organisation, est_b: Organisation, client_for: Any
) -> None:
    page = client_for(centre_analyst).get("/o/centre/").content.decode()
    assert 'data-testid="establishments-count">2<' in page
    assert ("<svg" in page and "Private clinic" in page) or "Clinique privée" in page


def test_establishment_admin_edits_own_details(a_admin: Any, client_for: Any) -> None:
    client = client_for(a_admin)
    response = client.post(
        "/o/chu-alpha/profile/",
        {**VALID, "name": "CHU Alpha (renamed)", "finess": "750000010"},
    )
    assert response.status_code == 302
    assert Organisation.objects.get(slug="chu-alpha").name == "CHU Alpha (renamed)"


def test_first_administrator_is_invited_with_the_role_chosen_and_shown_as_pending(
    centre_admin: Any, client_for: Any, smtp_server: MailBox
) -> None:
    client = client_for(centre_admin)
    form = client.get("/o/centre/establishments/new/").content.decode()
    assert re.search(r'<option value="admin"[^>]*selected', form)
    response = client.post(
        "/o/centre/establishments/new/",
        {**VALID, "admin-email": "rssi@gamma.example", "admin-role": Role.SECURITY_OFFICER},
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.role == Role.SECURITY_OFFICER
    assert smtp_server.wait_for(1)[0]["To"] == "rssi@gamma.example"
    page = client.get(response["Location"]).content.decode()
    assert "rssi@gamma.example" in page
    assert "Responsable de la sécurité" in page or "Security officer" in page


def test_registering_with_a_malformed_administrator_address_names_the_field_once(
    centre_admin: Any, client_for: Any
) -> None:
    response = client_for(centre_admin).post(
        "/o/centre/establishments/new/", {**VALID, "admin-email": "pas une adresse"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="error"') == 1
    assert 'id="id_admin-email_error"' in page
    assert not Organisation.objects.filter(name=VALID["name"]).exists()

"""The incidents API: an establishment's tool declares and reads its incidents; the rules and
messages are the declaration form's; nobody else reads them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.incidents.support import declare_directly
from vigie.api.tokens import create_token
from vigie.incidents.models import Incident
from vigie.tenancy.models import Organisation

pytestmark = pytest.mark.django_db


def _client(user: Any, scope: str = "write") -> Client:
    _token, secret = create_token(user=user, name="tool", scope=scope)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_a_tool_declares_an_incident_and_reads_its_clocks(
    a_admin: Any, est_a: Organisation
) -> None:
    aware = timezone.now() - timedelta(hours=2)
    response = _client(a_admin).post(
        f"/api/v1/organisations/{est_a.slug}/incidents",
        {
            "title": "Rançongiciel",
            "category": "ransomware",
            "aware_at": aware.isoformat(),
            "degraded_mode": True,
            "transfers_neonatal": 2,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    incident = Incident.objects.get()
    assert body["reference"] == incident.reference
    assert body["transfers"] == 2
    assert incident.degraded_mode
    assert incident.tasks.filter(code="do_not_pay_ransom").exists()
    codes = {o["code"]: o["status"] for o in body["obligations"]}
    assert codes["nis2_early_warning"] == "pending"
    listed = _client(a_admin, "read").get(f"/api/v1/organisations/{est_a.slug}/incidents")
    assert [i["id"] for i in listed.json()["items"]] == [incident.pk]


def test_a_bad_declaration_names_the_field_as_the_form_does(
    a_admin: Any, est_a: Organisation
) -> None:
    response = _client(a_admin).post(
        f"/api/v1/organisations/{est_a.slug}/incidents",
        {
            "title": "x",
            "category": "ransomware",
            "aware_at": (timezone.now() + timedelta(days=1)).isoformat(),
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "aware_at" in response.json()["error"]["fields"]
    assert not Incident.objects.exists()


def test_an_unknown_category_is_refused(a_admin: Any, est_a: Organisation) -> None:
    response = _client(a_admin).post(
        f"/api/v1/organisations/{est_a.slug}/incidents",
        {"title": "x", "category": "<script>"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "category" in response.json()["error"]["fields"]


def test_a_read_only_token_cannot_declare(a_admin: Any, est_a: Organisation) -> None:
    response = _client(a_admin, "read").post(
        f"/api/v1/organisations/{est_a.slug}/incidents",
        {"title": "x", "category": "phishing"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not Incident.objects.exists()


def test_another_establishment_reads_none_of_them(
    b_admin: Any, est_a: Organisation, est_b: Organisation
) -> None:
    incident = declare_directly(est_a)
    client = _client(b_admin)
    assert client.get(f"/api/v1/organisations/{est_b.slug}/incidents").json()["items"] == []
    theirs = client.get(f"/api/v1/organisations/{est_b.slug}/incidents/{incident.pk}")
    missing = client.get(f"/api/v1/organisations/{est_b.slug}/incidents/999999")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.content == missing.content
    assert client.get(f"/api/v1/organisations/{est_a.slug}/incidents").status_code == 404


def test_the_centre_reads_its_establishments_incidents(
    est_a: Organisation, centre: Organisation, centre_analyst: Any
) -> None:
    incident = declare_directly(est_a)
    client = _client(centre_analyst)
    body = client.get(f"/api/v1/organisations/{centre.slug}/incidents/{incident.pk}").json()
    assert body["organisation"] == est_a.slug
    declared = client.post(
        f"/api/v1/organisations/{centre.slug}/incidents",
        {"title": "x", "category": "phishing"},
        content_type="application/json",
    )
    assert declared.status_code == 403

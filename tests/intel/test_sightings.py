"""Sightings: an establishment reports an indicator seen in its logs through the API.

It is notified at once (Act), its support centre is told who saw what, and the other
establishments only learn that a value was sighted in the community, never by whom.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from tests.helpers import MailBox, mail_text, signed_in
from tests.taxii.support import publish
from vigie.api.tokens import create_token
from vigie.audit.models import Action, AuditEvent
from vigie.intel.models import Sighting, SightingState, Tlp
from vigie.notify.models import Delivery
from vigie.tenancy.models import Organisation
from vigie.tenancy.roles import Role

URL = "/api/v1/organisations/chu-alpha/sightings"


def _write(user: Any) -> dict[str, str]:
    _row, secret = create_token(user=user, name="siem", scope="write")
    return {"Authorization": f"Bearer {secret}", "Accept-Language": "en"}


def _post(headers: dict[str, str], **body: Any) -> Any:
    payload = {"type": "domain", "value": "c2.lockbit.example", "log_type": "dns", **body}
    return Client().post(URL, payload, content_type="application/json", headers=headers)


@pytest.fixture
def shared(centre: Organisation) -> None:
    publish(centre, Tlp.GREEN, "c2.lockbit.example", tags=["ransomware:lockbit"])
    publish(centre, Tlp.AMBER_STRICT, "centre-only.example")


@pytest.mark.django_db
def test_a_sighting_is_stored_notified_to_the_establishment_and_its_centre_and_audited(
    shared: None, a_admin: Any, centre: Organisation, centre_analyst: Any
) -> None:
    now = timezone.now()
    response = _post(
        _write(a_admin),
        value="C2.LockBit.example.",  # as a resolver logs it: normalised like indicators
        count=3,
        first_seen=(now - timedelta(hours=2)).isoformat(),
        last_seen=(now - timedelta(minutes=5)).isoformat(),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["value"] == "c2.lockbit.example"
    assert body["priority"] == "act"
    assert body["tlp"] == "amber+strict"
    assert body["state"] == "new"
    sighting = Sighting.objects.get()
    assert sighting.count == 3
    assert sighting.indicator.organisation == centre
    deliveries = Delivery.objects.filter(related_object=f"intel.sighting:{sighting.pk}")
    assert {(d.organisation.slug, d.event) for d in deliveries} >= {
        ("chu-alpha", "sighting.new"),
        ("centre", "sighting.reported"),
    }
    entry = AuditEvent.objects.get(action=Action.SIGHTING_REPORTED)
    assert entry.actor == a_admin
    assert entry.details == {"log_type": "dns", "count": 3, "new": True, "source": "api"}


@pytest.mark.django_db
def test_reporting_the_same_value_again_adds_to_the_count_without_a_new_notice(
    shared: None, a_admin: Any
) -> None:
    headers = _write(a_admin)
    assert _post(headers, count=2).status_code == 201
    before = Delivery.objects.count()
    again = _post(headers, count=5)
    assert again.status_code == 200
    assert again.json()["count"] == 7
    assert again.json()["reports"] == 2
    assert Delivery.objects.count() == before
    # Another log is another sighting (the proxy saw it too).
    assert _post(headers, log_type="proxy").status_code == 201


@pytest.mark.django_db
def test_a_closed_sighting_seen_again_is_reopened_and_notified_again(
    shared: None, a_admin: Any
) -> None:
    headers = _write(a_admin)
    _post(headers)
    sighting = Sighting.objects.get()
    client = signed_in(a_admin)
    page = f"/o/chu-alpha/intel/sightings/{sighting.pk}/"
    response = client.post(page + "state/", {"state": "closed"})
    assert response.status_code == 302
    sighting.refresh_from_db()
    assert sighting.state == SightingState.CLOSED
    before = Delivery.objects.count()
    _post(headers)
    sighting.refresh_from_db()
    assert sighting.state == SightingState.NEW
    assert Delivery.objects.count() > before


@pytest.mark.django_db
def test_a_value_the_reporter_may_not_see_is_refused_like_one_that_does_not_exist(
    shared: None, a_admin: Any
) -> None:
    headers = _write(a_admin)
    hidden = _post(headers, value="centre-only.example")
    missing = _post(headers, value="never-published.example")
    assert hidden.status_code == missing.status_code == 422
    hidden_error = hidden.json()["error"]["fields"]["value"][0]
    missing_error = missing.json()["error"]["fields"]["value"][0]
    assert hidden_error.replace("centre-only", "X") == missing_error.replace("never-published", "X")
    assert Sighting.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"log_type": "syslog"}, "Unknown log type “syslog”"),
        ({"count": 0}, "between 1 and"),
        ({"tlp": "red"}, "not “red”"),
        ({"type": "hostname"}, "Unknown indicator type"),
        ({"value": "not a domain!"}, "is not a valid"),
        ({"first_seen": "2026-12-02T10:00:00Z", "last_seen": "2026-12-01T10:00:00Z"}, "after"),
        ({"last_seen": "2999-01-01T00:00:00Z"}, "in the future"),
    ],
)
def test_bad_reports_are_refused_with_the_field_named(
    shared: None, a_admin: Any, body: dict[str, Any], words: str
) -> None:
    response = _post(_write(a_admin), **body)
    assert response.status_code == 422, response.content
    assert words in str(response.json()["error"]["fields"])
    assert Sighting.objects.count() == 0


@pytest.mark.django_db
def test_reporting_needs_a_read_write_token_of_someone_who_handles_alerts(
    shared: None, a_admin: Any, a_viewer: Any
) -> None:
    _row, read_only = create_token(user=a_admin, name="read")
    assert _post({"Authorization": f"Bearer {read_only}"}).status_code == 403
    assert _post(_write(a_viewer)).status_code == 403
    assert Sighting.objects.count() == 0


@pytest.mark.django_db
def test_the_centre_reads_who_saw_what_and_other_establishments_only_a_count(
    shared: None,
    a_admin: Any,
    b_admin: Any,
    centre_analyst: Any,
) -> None:
    _post(_write(a_admin), count=4)
    # The API: Alpha and its centre list the sighting, Beta does not.
    for user, slug, expected in (
        (a_admin, "chu-alpha", 1),
        (centre_analyst, "centre", 1),
        (b_admin, "clinique-beta", 0),
    ):
        _row, secret = create_token(user=user, name="read")
        listing = Client().get(
            f"/api/v1/organisations/{slug}/sightings",
            headers={"Authorization": f"Bearer {secret}"},
        )
        assert listing.status_code == 200
        assert listing.json()["count"] == expected, slug
    # The pages: the centre names the establishment; Beta sees "by 1 organisation" only.
    centre_page = signed_in(centre_analyst).get("/o/centre/intel/sightings/").content.decode()
    assert "CHU Alpha" in centre_page
    assert 'data-sighting="domain:c2.lockbit.example"' in centre_page
    centre_client = signed_in(centre_analyst)
    beta_only = centre_client.get("/o/centre/intel/sightings/?establishment=clinique-beta")
    assert 'data-sighting="' not in beta_only.content.decode()
    alpha_only = centre_client.get("/o/centre/intel/sightings/?establishment=chu-alpha")
    assert 'data-sighting="domain:c2.lockbit.example"' in alpha_only.content.decode()
    beta = signed_in(b_admin)
    assert 'data-sighting="' not in beta.get("/o/clinique-beta/intel/sightings/").content.decode()
    indicators = beta.get(
        "/o/clinique-beta/intel/indicators/", headers={"Accept-Language": "en"}
    ).content.decode()
    row = indicators.split('data-indicator="domain:c2.lockbit.example"')[1].split("</tr>")[0]
    assert "by 1 organisation" in row
    assert "CHU Alpha" not in row
    sighting = Sighting.objects.get()
    # The dashboards count it for Alpha and its centre, not for Beta.
    alpha_home = signed_in(a_admin).get("/o/chu-alpha/").content.decode()
    assert 'data-testid="count-sightings">1<' in alpha_home
    centre_home = signed_in(centre_analyst).get("/o/centre/").content.decode()
    assert 'data-testid="count-sightings">1<' in centre_home
    beta_home = beta.get("/o/clinique-beta/").content.decode()
    assert 'data-testid="count-sightings">0<' in beta_home
    assert beta.get(f"/o/clinique-beta/intel/sightings/{sighting.pk}/").status_code == 404
    assert beta.get(f"/o/chu-alpha/intel/sightings/{sighting.pk}/").status_code == 404
    assert beta.post(f"/o/chu-alpha/intel/sightings/{sighting.pk}/state/").status_code == 404


@pytest.mark.django_db
def test_the_establishment_acknowledges_its_sighting_and_the_centre_cannot(
    shared: None, a_admin: Any, centre_analyst: Any
) -> None:
    _post(_write(a_admin))
    sighting = Sighting.objects.get()
    centre = signed_in(centre_analyst)
    detail = centre.get(f"/o/centre/intel/sightings/{sighting.pk}/").content.decode()
    assert 'value="acknowledged"' not in detail
    refused = centre.post(f"/o/centre/intel/sightings/{sighting.pk}/state/", {"state": "closed"})
    assert refused.status_code in (403, 404)
    client = signed_in(a_admin)
    client.post(f"/o/chu-alpha/intel/sightings/{sighting.pk}/state/", {"state": "acknowledged"})
    sighting.refresh_from_db()
    assert sighting.state == SightingState.ACKNOWLEDGED
    assert sighting.acknowledged_by == a_admin
    assert AuditEvent.objects.filter(action=Action.SIGHTING_STATE_CHANGED).count() == 1


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_sighting_e_mail_reaches_the_establishment_and_the_centre_in_their_language(
    smtp_server: MailBox,
    centre: Organisation,
    est_a: Organisation,
    make_user: Callable[..., Any],
    language: str,
) -> None:
    publish(centre, Tlp.GREEN, "c2.lockbit.example", tags=["ransomware:lockbit"])
    officer = make_user("a.rssi", est_a, Role.SECURITY_OFFICER, language=language)
    make_user("centre.boss", centre, Role.ADMIN, language=language)
    with transaction.atomic():
        response = _post(_write(officer), count=2)
    assert response.status_code == 201, response.content
    messages = smtp_server.wait_for(2)
    by_recipient = {m["To"]: m for m in messages}
    own = by_recipient["a.rssi@example.org"]
    told = by_recipient["centre.boss@example.org"]
    # A long subject is folded on the wire: the parsed header keeps the fold's space.
    own_subject, told_subject = str(own["Subject"]).strip(), str(told["Subject"]).strip()
    if language == "en":
        assert own_subject == "[Vigie Santé] ACT — indicator seen in your logs: c2.lockbit.example"
        assert "Seen in: DNS queries" in mail_text(own)
        assert "2 times" in mail_text(own)
        assert told_subject.startswith("[Vigie Santé] Sighting at CHU Alpha")
        assert "never by whom" in mail_text(told)
    else:
        assert own_subject == (
            "[Vigie Santé] ACT — indicateur vu dans vos journaux : c2.lockbit.example"
        )
        assert "Vu dans : Requêtes DNS" in mail_text(own)
        assert "2 fois" in mail_text(own)
        assert told_subject.startswith("[Vigie Santé] Observation à CHU Alpha")
    assert "/o/chu-alpha/intel/sightings/" in mail_text(own)
    assert "/o/centre/intel/sightings/" in mail_text(told)

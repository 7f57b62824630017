"""The public tracking pages: tokens cannot be forged, and what a person types in the simulated
sign-in form is never stored or logged anywhere."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from tests.phishing.support import access_of, campaign_for, staff, upload
from vigie.phishing import actions
from vigie.phishing.models import Target
from vigie.phishing.tokens import token_for
from vigie.tenancy.models import Organisation

pytestmark = pytest.mark.django_db
SECRET = "Tr0ub4dor&3-never-stored"


def _sent_target(org: Organisation, user: Any, language: str = "en") -> Target:
    access = access_of(user, org)
    campaign = campaign_for(access, upload(access, staff(1, "Urgences")), language=language)
    actions.launch(access, campaign)
    actions.send_due()
    return Target.objects.get(campaign=campaign)


def _everything_in_the_database() -> str:
    return "\n".join(
        repr(row) for model in apps.get_models() for row in model._default_manager.values_list()
    )


def test_typed_credentials_are_never_stored_nor_logged(
    est_a: Organisation,
    a_admin: Any,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    target = _sent_target(est_a, a_admin)
    caplog.set_level(logging.DEBUG)
    path = reverse("phishing_public:click", kwargs={"token": token_for(target.pk)})
    response = Client().post(path, {"login": "jdupont", "secret": SECRET}, follow=True)
    assert response.status_code == 200
    target.refresh_from_db()
    assert target.submitted_at is not None
    assert SECRET not in _everything_in_the_database()
    assert "jdupont" not in _everything_in_the_database()
    out, err = capfd.readouterr()
    assert SECRET not in caplog.text + out + err


@pytest.mark.parametrize("change", ["signature", "id", "garbage"])
def test_a_tampered_token_is_a_plain_404_and_records_nothing(
    est_a: Organisation, a_admin: Any, change: str
) -> None:
    target = _sent_target(est_a, a_admin)
    token = token_for(target.pk)
    forged = {
        "signature": token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        "id": f"{target.pk + 1}-{token.partition('-')[2]}",
        "garbage": "not-a-token",
    }[change]
    client = Client()
    for name in ("click", "pixel", "report", "learn"):
        assert (
            client.get(reverse(f"phishing_public:{name}", kwargs={"token": forged})).status_code
            == 404
        )
    assert (
        client.post(reverse("phishing_public:click", kwargs={"token": forged})).status_code == 404
    )
    target.refresh_from_db()
    assert target.clicked_at is None
    assert target.reported_at is None
    assert target.opened_at is None


def test_a_recipient_not_sent_yet_has_no_page(est_a: Organisation, a_admin: Any) -> None:
    access = access_of(a_admin, est_a)
    campaign = campaign_for(access, upload(access, staff(1, "Urgences")))
    actions.launch(access, campaign)
    target = Target.objects.get()
    path = reverse("phishing_public:click", kwargs={"token": token_for(target.pk)})
    assert Client().get(path).status_code == 404


def test_public_pages_speak_the_campaign_language_and_are_not_indexed(
    est_a: Organisation, a_admin: Any
) -> None:
    target = _sent_target(est_a, a_admin, language="fr")
    token = token_for(target.pk)
    client = Client()
    page = client.get(reverse("phishing_public:click", kwargs={"token": token}))
    assert b'<html lang="fr">' in page.content
    assert page["X-Robots-Tag"].startswith("noindex")
    assert b"<script" not in page.content
    learn = client.get(reverse("phishing_public:learn", kwargs={"token": token}))
    assert b'<html lang="fr">' in learn.content
    assert b'name="robots" content="noindex' in learn.content


def test_time_to_report_is_measured_from_sending(est_a: Organisation, a_admin: Any) -> None:
    target = _sent_target(est_a, a_admin)
    Client().get(reverse("phishing_public:report", kwargs={"token": token_for(target.pk)}))
    target.refresh_from_db()
    assert target.reported_at is not None
    assert target.sent_at is not None
    assert target.reported_at >= target.sent_at


def test_the_simulated_sign_in_form_sends_nothing_that_is_typed(
    est_a: Organisation, a_admin: Any
) -> None:
    # Inputs without a name are never part of the form's submission: the browser keeps them.
    target = _sent_target(est_a, a_admin)
    path = reverse("phishing_public:click", kwargs={"token": token_for(target.pk)})
    page = Client().get(path).content.decode()
    assert 'type="password"' in page
    inputs = [tag for tag in page.split("<input")[1:] if "csrfmiddlewaretoken" not in tag]
    assert inputs
    assert all(" name=" not in tag.split(">")[0] for tag in inputs)

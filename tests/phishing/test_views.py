"""The establishment's pages and the centre's sector view: who may see and change what, results
by service without a single name, bad input answered with its line and field."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.helpers import in_english, signed_in
from tests.phishing.support import access_of, campaign_for, csv_of, staff, upload
from vigie.phishing import actions
from vigie.phishing.models import Campaign, RecipientList, State, Target
from vigie.tenancy.models import Organisation

pytestmark = pytest.mark.django_db


def _finished(org: Organisation, user: Any, rows: list[tuple[str, str, str]]) -> Campaign:
    access = access_of(user, org)
    campaign = campaign_for(access, upload(access, rows), rate=120)
    actions.launch(access, campaign)
    actions.send_due()
    campaign.refresh_from_db()
    return campaign


def _url(name: str, org: Organisation, **kwargs: Any) -> str:
    return reverse(f"phishing:{name}", kwargs={"org": org.slug, **kwargs})


def test_index_is_read_by_members_and_centre_gets_404(
    est_a: Organisation,
    centre: Organisation,
    a_admin: Any,
    a_viewer: Any,
    b_admin: Any,
    centre_analyst: Any,
) -> None:
    assert signed_in(a_admin).get(_url("index", est_a)).status_code == 200
    assert signed_in(a_viewer).get(_url("index", est_a)).status_code == 200
    assert signed_in(b_admin).get(_url("index", est_a)).status_code == 404
    assert signed_in(centre_analyst).get(_url("index", centre)).status_code == 404
    assert Client().get(_url("index", est_a)).status_code == 302


def test_viewer_cannot_create_launch_or_read_results(
    est_a: Organisation, a_admin: Any, a_viewer: Any
) -> None:
    campaign = campaign_for(access_of(a_admin, est_a), None)
    viewer = signed_in(a_viewer)
    assert viewer.get(_url("new", est_a)).status_code == 403
    assert viewer.get(_url("list_upload", est_a)).status_code == 403
    assert viewer.post(_url("launch", est_a, campaign_id=campaign.pk)).status_code == 403
    assert viewer.get(_url("detail", est_a, campaign_id=campaign.pk)).status_code == 403
    campaign.refresh_from_db()
    assert campaign.state == State.DRAFT


def test_another_establishment_cannot_reach_a_campaign(
    est_a: Organisation, est_b: Organisation, a_admin: Any, b_admin: Any
) -> None:
    campaign = campaign_for(access_of(a_admin, est_a), None)
    other = signed_in(b_admin)
    assert other.get(_url("detail", est_a, campaign_id=campaign.pk)).status_code == 404
    # Its own organisation's URL with A's id: a 404, like a missing one.
    assert other.get(_url("detail", est_b, campaign_id=campaign.pk)).status_code == 404
    assert other.post(_url("launch", est_b, campaign_id=campaign.pk)).status_code == 404


def test_admin_creates_launches_and_stops_through_the_pages(
    est_a: Organisation, a_admin: Any, a_viewer: Any
) -> None:
    client = signed_in(a_admin)
    response = client.post(
        _url("new", est_a),
        {
            "name": "Exercice d'automne",
            "template": "parcel",
            "language": "fr",
            "sender_name": "Service courrier",
            "source": "members",
            "rate": "1",
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("detail", est_a, campaign_id=campaign.pk)
    assert client.get(response["Location"]).status_code == 200
    assert client.post(_url("launch", est_a, campaign_id=campaign.pk)).status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == State.RUNNING
    assert Target.objects.filter(campaign=campaign).count() == 2  # the admin and the viewer
    assert client.post(_url("stop", est_a, campaign_id=campaign.pk)).status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == State.STOPPED


def test_rate_above_the_maximum_is_a_field_error(est_a: Organisation, a_admin: Any) -> None:
    response = signed_in(a_admin).post(
        _url("new", est_a),
        {
            "name": "x",
            "template": "parcel",
            "language": "fr",
            "sender_name": "x",
            "source": "members",
            "rate": "500",
        },
    )
    assert response.status_code == 200
    assert "rate" in response.context["form"].errors
    assert not Campaign.objects.exists()


def test_list_upload_page_names_file_line_and_field_of_errors(
    est_a: Organisation, a_admin: Any
) -> None:
    client = in_english(signed_in(a_admin))
    bad = SimpleUploadedFile("agents.csv", csv_of([*staff(1, "U"), ("x@evil.example", "", "U")]))
    response = client.post(_url("list_upload", est_a), {"name": "Agents", "file": bad})
    assert response.status_code == 400
    assert "agents.csv, line 3, field “email”" in response.content.decode()
    assert not RecipientList.objects.exists()
    good = SimpleUploadedFile("agents.csv", csv_of(staff(3, "U")))
    response = client.post(_url("list_upload", est_a), {"name": "Agents", "file": good})
    assert response.status_code == 302
    assert RecipientList.objects.get().entries.count() == 3


def test_results_by_service_show_counts_and_never_names(est_a: Organisation, a_admin: Any) -> None:
    rows = [
        *staff(6, "Urgences"),
        *staff(5, "Pharmacie", start=10),
        *staff(2, "Admissions", start=20),
    ]
    campaign = _finished(est_a, a_admin, rows)
    now = timezone.now()
    Target.objects.filter(campaign=campaign, service="Urgences").filter(
        email__in=["agent0@example.org", "agent1@example.org", "agent2@example.org"]
    ).update(opened_at=now, clicked_at=now)
    Target.objects.filter(campaign=campaign, service="Pharmacie").update(reported_at=now)
    page = in_english(signed_in(a_admin)).get(_url("detail", est_a, campaign_id=campaign.pk))
    html = page.content.decode()
    assert page.status_code == 200
    services = page.context["services"]
    labels = [label for label, _counts in services]
    assert labels == ["Pharmacie", "Urgences", "Other services (fewer than 5 recipients each)"]
    urgences = dict(services)["Urgences"]
    assert (urgences.sent, urgences.clicked, urgences.reported) == (6, 3, 0)
    assert dict(services)["Pharmacie"].reported == 5
    assert "Admissions" not in html  # 2 recipients: merged into the other services
    for name in ("agent0", "Agent 0", "example.org"):
        assert name not in html


def test_repeat_clickers_are_counted_across_campaigns(est_a: Organisation, a_admin: Any) -> None:
    rows = staff(5, "Urgences")
    first = _finished(est_a, a_admin, rows)
    second = _finished(est_a, a_admin, rows)
    now = timezone.now()
    for campaign in (first, second):
        Target.objects.filter(campaign=campaign, email="agent0@example.org").update(clicked_at=now)
    Target.objects.filter(campaign=second, email="agent1@example.org").update(clicked_at=now)
    page = signed_in(a_admin).get(_url("detail", est_a, campaign_id=second.pk))
    assert dict(page.context["services"])["Urgences"].repeat_clickers == 1
    assert page.context["total"].repeat_clickers == 1


def test_sector_view_shows_establishments_rates_only_to_the_centre(
    est_a: Organisation,
    est_b: Organisation,
    centre: Organisation,
    a_admin: Any,
    centre_analyst: Any,
) -> None:
    campaign = _finished(est_a, a_admin, staff(4, "Bloc opératoire"))
    Target.objects.filter(campaign=campaign, email="agent0@example.org").update(
        clicked_at=timezone.now()
    )
    page = signed_in(centre_analyst).get(_url("sector", centre))
    assert page.status_code == 200
    html = page.content.decode()
    rows = {row.organisation.slug: row for row in page.context["rows"]}
    assert rows["chu-alpha"].counts.sent == 4
    assert rows["chu-alpha"].counts.clicked == 1
    assert rows["clinique-beta"].campaigns == 0
    assert page.context["total"].sent == 4
    assert "Bloc opératoire" not in html
    assert "agent0" not in html
    assert signed_in(a_admin).get(_url("sector", est_a)).status_code == 404
    assert Client().get(_url("sector", centre)).status_code == 302

"""Campaigns from launch to results: the periodic sender queues each message once, at the
campaign's rate; the messages go through a real SMTP server; their tracked links record events."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.helpers import MailBox, mail_text
from tests.phishing.support import access_of, campaign_for, links_of, staff, upload
from vigie.audit.models import Action, AuditEvent
from vigie.notify import outbox
from vigie.phishing import actions
from vigie.phishing.jobs import send_phishing
from vigie.phishing.models import State, Target
from vigie.tenancy.models import Organisation


def test_launched_campaign_reaches_each_recipient_and_their_links_record_events(
    smtp_server: MailBox, est_a: Organisation, a_admin: Any
) -> None:
    access = access_of(a_admin, est_a)
    campaign = campaign_for(access, upload(access, staff(3, "Urgences")))
    assert actions.launch(access, campaign) == 3
    assert AuditEvent.objects.filter(action=Action.PHISHING_LAUNCHED).count() == 1
    send_phishing.call()
    outbox.deliver_due()
    messages = smtp_server.wait_for(3)
    assert sorted(m["To"] for m in messages) == [f"agent{n}@example.org" for n in range(3)]
    message = next(m for m in messages if m["To"] == "agent0@example.org")
    assert message["Subject"] == "Action required: your password expires today"
    assert message["X-Vigie-Event"] == "phishing.simulation"
    text = mail_text(message)
    assert "Report this message" in text
    links = links_of(message)
    assert all(links.values()), links
    assert links["click"] in text
    assert links["report"] in text

    client = Client()
    pixel = client.get(links["pixel"])
    assert pixel.status_code == 200
    assert pixel["Content-Type"] == "image/gif"
    assert "no-store" in pixel["Cache-Control"]
    page = client.get(links["click"])
    assert page.status_code == 200
    assert b'name="robots" content="noindex' in page.content
    assert b"http://" not in page.content.replace(b"http://testserver", b"")
    landing = client.post(links["click"], {"login": "agent0", "secret": "x"}, follow=True)
    assert landing.status_code == 200
    assert b"This was an exercise by your establishment" in landing.content
    reported = client.get(links["report"])
    assert reported.status_code == 200
    assert b"Thank you for reporting" in reported.content

    target = Target.objects.get(email="agent0@example.org")
    assert target.sent_at is not None
    assert target.opened_at
    assert target.clicked_at
    assert target.submitted_at
    assert target.sent_at <= target.opened_at <= target.clicked_at <= target.submitted_at
    assert target.reported_at is not None
    campaign.refresh_from_db()
    assert campaign.state == State.DONE


def test_repeated_hits_keep_the_first_time_of_each_event(
    smtp_server: MailBox, est_a: Organisation, a_admin: Any
) -> None:
    access = access_of(a_admin, est_a)
    campaign = campaign_for(access, upload(access, staff(1, "Urgences")))
    actions.launch(access, campaign)
    actions.send_due()
    outbox.deliver_due()
    links = links_of(smtp_server.wait_for(1)[0])
    client = Client()
    client.get(links["click"])
    first = Target.objects.get().clicked_at
    client.get(links["click"])
    client.get(links["report"])
    reported = Target.objects.get().reported_at
    client.get(links["report"])
    again = Target.objects.get()
    assert again.clicked_at == first
    assert again.reported_at == reported


@pytest.mark.django_db
def test_sender_sends_at_most_the_campaign_rate_per_run(est_a: Organisation, a_admin: Any) -> None:
    access = access_of(a_admin, est_a)
    campaign = campaign_for(access, upload(access, staff(5, "Urgences")), rate=2)
    actions.launch(access, campaign)
    assert actions.send_due().sent == 2
    assert Target.objects.filter(sent_at__isnull=False).count() == 2
    assert actions.send_due().sent == 2
    assert actions.send_due().sent == 1
    campaign.refresh_from_db()
    assert campaign.state == State.DONE
    assert actions.send_due().sent == 0
    from vigie.notify.models import Delivery

    assert Delivery.objects.filter(event="phishing.simulation").count() == 5


@pytest.mark.django_db
def test_stopped_campaign_sends_nothing_more(est_a: Organisation, a_admin: Any) -> None:
    access = access_of(a_admin, est_a)
    campaign = campaign_for(access, upload(access, staff(5, "Urgences")), rate=2)
    actions.launch(access, campaign)
    actions.send_due()
    assert actions.stop(access, campaign) == 3
    assert actions.send_due().sent == 0
    campaign.refresh_from_db()
    assert campaign.state == State.STOPPED
    assert AuditEvent.objects.filter(action=Action.PHISHING_STOPPED).count() == 1
    with pytest.raises(actions.Refused):
        actions.stop(access, campaign)

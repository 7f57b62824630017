"""Notification pages: administrators configure, members read the log, other tenants see nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.notify.conftest import Receiver
from vigie.audit.models import AuditEvent
from vigie.notify import outbox
from vigie.notify.models import Channel, ChannelKind, Delivery, DeliveryAttempt
from vigie.notify.secretbox import decrypt_secret
from vigie.tenancy.models import Organisation

pytestmark = pytest.mark.urls("tests.notify.urls")

BASE = "/o/chu-alpha/notifications/"


@pytest.fixture
def client_for(client_for: Callable[..., Client]) -> Callable[..., Client]:
    """Signed-in clients reading the pages in English, the language these assertions use."""

    def english(user: Any, **kwargs: Any) -> Client:
        client = client_for(user, **kwargs)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return english


def a_channel(est_a: Organisation) -> Channel:
    return Channel.objects.get(organisation=est_a)


def test_admin_adds_an_email_channel_for_chosen_roles_and_addresses(
    client_for: Callable[..., Client], a_admin: Any, est_a: Organisation
) -> None:
    client = client_for(a_admin)
    page = client.get(f"{BASE}channels/new/email/")
    assert page.status_code == 200
    assert "Security officer (RSSI)" in page.content.decode()
    response = client.post(
        f"{BASE}channels/new/email/",
        {
            "name": "Biomed",
            "enabled": "on",
            "roles": ["biomedical_engineer"],
            "extra_addresses": "astreinte@chu-alpha.example\nsecu@chu-alpha.example",
        },
    )
    assert response.status_code == 302
    channel = Channel.objects.get(organisation=est_a, name="Biomed")
    assert channel.kind == ChannelKind.EMAIL
    assert channel.roles == ["biomedical_engineer"]
    assert channel.extra_addresses == ["astreinte@chu-alpha.example", "secu@chu-alpha.example"]
    event = AuditEvent.objects.get(action="notify.channel_created")
    assert event.organisation == est_a
    assert event.actor == a_admin


def test_email_channel_needs_someone_to_send_to(
    client_for: Callable[..., Client], a_admin: Any, est_a: Organisation
) -> None:
    response = client_for(a_admin).post(
        f"{BASE}channels/new/email/", {"name": "Nobody", "extra_addresses": "not-an-address"}
    )
    assert response.status_code == 200
    assert "not-an-address is not an e-mail address." in response.content.decode()
    assert not Channel.objects.filter(name="Nobody").exists()


def test_admin_adds_a_webhook_and_sees_its_secret_once(
    client_for: Callable[..., Client], a_admin: Any, est_a: Organisation, receiver: Receiver
) -> None:
    client = client_for(a_admin)
    response = client.post(
        f"{BASE}channels/new/webhook/", {"name": "SIEM", "enabled": "on", "url": receiver.url}
    )
    assert response.status_code == 200
    page = response.content.decode()
    channel = Channel.objects.get(organisation=est_a, kind=ChannelKind.WEBHOOK)
    secret = decrypt_secret(channel.secret_encrypted, organisation_id=est_a.pk)
    assert secret in page
    assert "X-Vigie-Signature" in page
    assert "hmac.compare_digest" in page
    # Never again: not on the edit page, not in the list, not in the audit log.
    assert secret not in client.get(f"{BASE}channels/{channel.pk}/").content.decode()
    assert secret not in client.get(BASE).content.decode()
    details = json.dumps(list(AuditEvent.objects.values_list("details", flat=True)))
    assert secret not in details

    regenerated = client.post(f"{BASE}channels/{channel.pk}/secret/")
    assert regenerated.status_code == 200
    channel.refresh_from_db()
    new_secret = decrypt_secret(channel.secret_encrypted, organisation_id=est_a.pk)
    assert new_secret != secret
    assert new_secret in regenerated.content.decode()


def test_webhook_to_an_internal_address_is_refused_when_saved(
    client_for: Callable[..., Client], a_admin: Any, est_a: Organisation, settings: Any
) -> None:
    settings.VIGIE_WEBHOOK_ALLOWED_NETWORKS = []
    response = client_for(a_admin).post(
        f"{BASE}channels/new/webhook/",
        {"name": "Metadata", "url": "https://169.254.169.254/latest/meta-data/"},
    )
    assert response.status_code == 200
    assert "an internal or reserved address" in response.content.decode()
    assert not Channel.objects.filter(kind=ChannelKind.WEBHOOK).exists()


def test_admin_edits_tests_and_deletes_a_channel(
    client_for: Callable[..., Client], a_admin: Any, est_a: Organisation
) -> None:
    client = client_for(a_admin)
    channel = a_channel(est_a)
    assert client.get(f"{BASE}channels/{channel.pk}/").status_code == 200
    response = client.post(
        f"{BASE}channels/{channel.pk}/", {"name": "Sécurité", "roles": ["admin"]}
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.enabled, channel.roles) == ("Sécurité", False, ["admin"])

    # A test goes out even while the channel is disabled: that is how one tries it first.
    response = client.post(f"{BASE}channels/{channel.pk}/test/")
    assert response.status_code == 302
    assert response["Location"].endswith("deliveries/?event=test")
    [delivery] = Delivery.objects.filter(event="test")
    assert delivery.recipient == a_admin.email
    assert outbox.deliver_due() == {"sent": 1}

    response = client.post(f"{BASE}channels/{channel.pk}/delete/")
    assert response.status_code == 302
    assert not Channel.objects.filter(pk=channel.pk).exists()
    # The log keeps what was sent through it.
    delivery.refresh_from_db()
    assert delivery.channel is None
    assert delivery.channel_name == "Sécurité"
    actions = AuditEvent.objects.filter(action__startswith="notify.").order_by("pk")
    assert list(actions.values_list("action", flat=True)) == [
        "notify.channel_updated",
        "notify.test_sent",
        "notify.channel_deleted",
    ]


def test_deleting_a_channel_drops_what_it_had_not_delivered(
    client_for: Callable[..., Client], a_admin: Any, est_a: Organisation
) -> None:
    channel = a_channel(est_a)
    outbox.enqueue_for_channels(
        organisation=est_a,
        event="alert.new",
        payload={},
        email_template="notify/mail/test",
        email_context={},
        idempotency_key="alert.new:1",
    )
    client_for(a_admin).post(f"{BASE}channels/{channel.pk}/delete/")
    assert outbox.deliver_due() == {}
    assert Delivery.objects.get().last_error == "the channel was deleted"


def test_members_read_the_channels_and_the_delivery_log(
    client_for: Callable[..., Client], a_viewer: Any, a_admin: Any, est_a: Organisation
) -> None:
    for n in range(3):
        outbox.enqueue_email(
            organisation=est_a,
            to=f"p{n}@chu-alpha.example",
            language="fr",
            template="notify/mail/does_not_exist" if n == 0 else "notify/mail/test",
            context={},
            event="alert.escalated" if n else "digest.daily",
            idempotency_key=f"k{n}",
        )
    outbox.deliver_due()
    client = client_for(a_viewer)
    listing = client.get(BASE).content.decode()
    assert a_channel(est_a).name in listing
    assert "Add a webhook" not in listing  # viewers do not configure

    log = client.get(f"{BASE}deliveries/").content.decode()
    assert log.count("data-delivery=") == 3
    dead = client.get(f"{BASE}deliveries/", {"state": "dead"}).content.decode()
    assert dead.count("data-delivery=") == 1
    assert "TemplateDoesNotExist" in dead
    escalations = client.get(f"{BASE}deliveries/", {"event": "alert.escalated"}).content.decode()
    assert escalations.count("data-delivery=") == 2

    delivery = Delivery.objects.get(event="digest.daily")
    detail = client.get(f"{BASE}deliveries/{delivery.pk}/")
    assert detail.status_code == 200
    assert "Permanent failure" in detail.content.decode()
    assert DeliveryAttempt.objects.filter(delivery=delivery).count() == 1


@pytest.mark.parametrize(
    ("language", "digest", "escalation"),
    [("fr", "Synthèse quotidienne", "Alerte escaladée"), ("en", "Daily digest", "Alert escalated")],
)
def test_the_delivery_log_names_events_in_the_readers_language_beside_their_code(
    client_for: Callable[..., Client],
    a_viewer: Any,
    est_a: Organisation,
    language: str,
    digest: str,
    escalation: str,
) -> None:
    for n, event in enumerate(("digest.daily", "alert.escalated")):
        outbox.enqueue_email(
            organisation=est_a,
            to="p@chu-alpha.example",
            language="fr",
            template="notify/mail/test",
            context={},
            event=event,
            idempotency_key=f"k{n}",
        )
    client = client_for(a_viewer)
    client.cookies["vigie-language"] = language
    log = client.get(f"{BASE}deliveries/").content.decode()
    assert digest in log
    assert escalation in log
    assert "<code>digest.daily</code>" in log  # the code webhook filters use, kept beside
    options = re.findall(r'<option value="alert.escalated"[^>]*>([^<]+)</option>', log)
    assert options == [escalation]
    delivery = Delivery.objects.get(event="digest.daily")
    assert digest in client.get(f"{BASE}deliveries/{delivery.pk}/").content.decode()


def test_delivery_log_is_paginated(
    client_for: Callable[..., Client], a_viewer: Any, est_a: Organisation
) -> None:
    for n in range(55):
        outbox.enqueue_email(
            organisation=est_a,
            to="p@chu-alpha.example",
            language="fr",
            template="notify/mail/test",
            context={},
            event="test",
            idempotency_key=f"k{n}",
        )
    client = client_for(a_viewer)
    first = client.get(f"{BASE}deliveries/", {"event": "test"}).content.decode()
    assert first.count("data-delivery=") == 50
    assert "event=test&amp;page=2" in first
    second = client.get(f"{BASE}deliveries/", {"event": "test", "page": 2}).content.decode()
    assert second.count("data-delivery=") == 5


def test_webhook_urls_are_shown_without_their_tokens(
    client_for: Callable[..., Client], a_viewer: Any, webhook: Channel
) -> None:
    page = client_for(a_viewer).get(BASE).content.decode()
    assert "/hooks/…" in page
    assert "token=abc" not in page


# --- Isolation: B's administrator sees nothing of A; A's viewer cannot configure --------------


def _a_urls(channel: Channel, delivery: Delivery) -> list[tuple[str, str]]:
    c = f"{BASE}channels/{channel.pk}/"
    return [
        ("get", BASE),
        ("get", f"{BASE}deliveries/"),
        ("get", f"{BASE}deliveries/{delivery.pk}/"),
        ("get", f"{BASE}channels/new/email/"),
        ("post", f"{BASE}channels/new/email/"),
        ("post", f"{BASE}channels/new/webhook/"),
        ("get", c),
        ("post", c),
        ("post", f"{c}test/"),
        ("post", f"{c}secret/"),
        ("post", f"{c}delete/"),
    ]


def _a_delivery(est_a: Organisation) -> Delivery:
    delivery = outbox.enqueue_email(
        organisation=est_a,
        to="rssi@chu-alpha.example",
        language="fr",
        template="notify/mail/test",
        context={},
        event="test",
        idempotency_key="k",
    )
    assert delivery is not None
    return delivery


def test_other_establishment_gets_404_on_every_notification_url_of_a(
    client_for: Callable[..., Client], b_admin: Any, est_a: Organisation, webhook: Channel
) -> None:
    client = client_for(b_admin)
    before = list(Channel.objects.values())
    for method, url in _a_urls(webhook, _a_delivery(est_a)):
        response = getattr(client, method)(url, {"name": "x", "roles": ["admin"]})
        assert response.status_code == 404, (method, url)
    assert list(Channel.objects.values()) == before
    assert not AuditEvent.objects.filter(action__startswith="notify.", actor=b_admin).exists()


def test_b_cannot_reach_a_channel_through_its_own_organisation(
    client_for: Callable[..., Client], b_admin: Any, est_b: Organisation, webhook: Channel
) -> None:
    client = client_for(b_admin)
    b_base = "/o/clinique-beta/notifications/"
    assert client.get(f"{b_base}channels/{webhook.pk}/").status_code == 404
    assert client.post(f"{b_base}channels/{webhook.pk}/delete/").status_code == 404
    assert client.post(f"{b_base}channels/{webhook.pk}/test/").status_code == 404
    assert Channel.objects.filter(pk=webhook.pk).exists()
    # And B's log does not list A's deliveries.
    _a_delivery(webhook.organisation)
    assert "data-delivery=" not in client.get(f"{b_base}deliveries/").content.decode()


def test_viewer_of_a_gets_403_on_configuration(
    client_for: Callable[..., Client], a_viewer: Any, est_a: Organisation, webhook: Channel
) -> None:
    client = client_for(a_viewer)
    before = list(Channel.objects.values())
    for method, url in _a_urls(webhook, _a_delivery(est_a)):
        response = getattr(client, method)(url, {"name": "x", "roles": ["admin"]})
        expected = 200 if method == "get" and "channels/" not in url else 403
        assert response.status_code == expected, (method, url)
    assert list(Channel.objects.values()) == before


def test_anonymous_is_sent_to_the_login_page(client: Client, est_a: Organisation) -> None:
    response = client.get(BASE)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_unknown_channel_kind_is_not_found(client_for: Callable[..., Client], a_admin: Any) -> None:
    assert client_for(a_admin).get(f"{BASE}channels/new/sms/").status_code == 404

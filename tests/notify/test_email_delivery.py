"""E-mail through a real SMTP server (aiosmtpd): fan-out by role, each in their own language."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from tests.helpers import MailBox, _free_port, mail_text
from vigie.notify import outbox
from vigie.notify.models import Channel, ChannelKind, Delivery, DeliveryState
from vigie.tenancy.models import Organisation
from vigie.tenancy.roles import Role

PROBE = "notify_probe/probe"


@pytest.fixture
def probe_template(settings: Any, tmp_path: Path) -> str:
    """A mail template that shows the language it was rendered in (French is not translated yet)."""
    folder = tmp_path / "notify_probe"
    folder.mkdir()
    (folder / "probe_subject.txt").write_text(
        "{% load i18n %}{% get_current_language as lang %}"
        "Probe {{ lang }} {{ payload.vulnerability }}"
    )
    (folder / "probe_body.txt").write_text(
        "{% load i18n %}{% get_current_language as lang %}language={{ lang }} base={{ base_url }}"
    )
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [tmp_path, *templates[0]["DIRS"]]
    settings.TEMPLATES = templates
    return PROBE


def fan_out(organisation: Organisation, key: str = "alert.new:7") -> list[Delivery]:
    payload = {"vulnerability": "CVE-2024-3400"}
    return outbox.enqueue_for_channels(
        organisation=organisation,
        event="alert.new",
        payload=payload,
        email_template=PROBE,
        email_context={"payload": payload},
        idempotency_key=key,
        related="vulns.alert:7",
    )


def test_channel_mail_reaches_members_of_its_roles_each_in_their_language(
    smtp_server: MailBox,
    probe_template: str,
    est_a: Organisation,
    make_user: Callable[..., Any],
    a_viewer: Any,
) -> None:
    make_user("a.rssi", est_a, Role.SECURITY_OFFICER, language="en")
    make_user("a.boss", est_a, Role.ADMIN, language="fr")
    # New establishments start with an e-mail channel for security officers and administrators.
    assert Channel.objects.get(organisation=est_a).roles == ["security_officer", "admin"]

    with transaction.atomic():
        deliveries = fan_out(est_a)
        assert len(deliveries) == 2
        # Nothing leaves before the transaction commits.
        assert smtp_server.messages == []

    # The commit kicked the delivery task (immediate backend in tests): no worker loop needed.
    messages = smtp_server.wait_for(2)
    by_recipient = {m["To"]: m for m in messages}
    assert set(by_recipient) == {"a.rssi@example.org", "a.boss@example.org"}
    assert by_recipient["a.rssi@example.org"]["Subject"] == "Probe en CVE-2024-3400"
    assert by_recipient["a.boss@example.org"]["Subject"] == "Probe fr CVE-2024-3400"
    assert "language=en" in mail_text(by_recipient["a.rssi@example.org"])
    assert by_recipient["a.rssi@example.org"]["X-Vigie-Event"] == "alert.new"
    assert by_recipient["a.rssi@example.org"]["Auto-Submitted"] == "auto-generated"
    sent = Delivery.objects.filter(state=DeliveryState.SENT)
    assert sent.count() == 2
    assert set(sent.values_list("subject", flat=True)) == {
        "Probe en CVE-2024-3400",
        "Probe fr CVE-2024-3400",
    }


def test_extra_addresses_receive_in_the_platform_language(
    smtp_server: MailBox, probe_template: str, est_a: Organisation
) -> None:
    Channel.objects.filter(organisation=est_a).update(
        roles=[], extra_addresses=["astreinte@chu-alpha.example"]
    )
    with transaction.atomic():
        fan_out(est_a)
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "astreinte@chu-alpha.example"
    assert message["Subject"] == "Probe fr CVE-2024-3400"


def test_direct_email_is_sent_once_whatever_the_number_of_enqueues(
    smtp_server: MailBox, probe_template: str, est_a: Organisation
) -> None:
    for _ in range(2):
        with transaction.atomic():
            outbox.enqueue_email(
                organisation=est_a,
                to="deputy@chu-alpha.example",
                language="en",
                template=PROBE,
                context={"payload": {"vulnerability": "CVE-2024-1"}},
                event="alert.escalated",
                idempotency_key="escalation:1:1:9",
            )
    messages = smtp_server.wait_for(1)
    assert len(messages) == 1
    assert messages[0]["Subject"] == "Probe en CVE-2024-1"
    assert Delivery.objects.filter(event="alert.escalated").count() == 1


def test_rolled_back_transaction_sends_nothing(
    smtp_server: MailBox, probe_template: str, est_a: Organisation, a_admin: Any
) -> None:
    def change_that_fails() -> None:
        with transaction.atomic():
            fan_out(est_a)
            raise RuntimeError("the alert could not be saved")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert not Delivery.objects.exists()
    assert smtp_server.messages == []


@pytest.fixture
def refusing_smtp(settings: Any, transactional_db: Any) -> Iterator[MailBox]:
    """A real SMTP server that refuses gone@… (550) and defers busy@… (451)."""
    from aiosmtpd.controller import Controller

    box = MailBox(host="127.0.0.1", port=_free_port())

    class Handler:
        async def handle_RCPT(
            self, server: Any, session: Any, envelope: Any, address: str, options: Any
        ) -> str:
            if address.startswith("gone@"):
                return "550 5.1.1 No such user"
            if address.startswith("busy@"):
                return "451 4.3.0 Try again later"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            box.messages.append(envelope)
            return "250 Message accepted"

    controller = Controller(Handler(), hostname=box.host, port=box.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = box.host
    settings.EMAIL_PORT = box.port
    try:
        yield box
    finally:
        controller.stop()


def _direct(organisation: Organisation, to: str) -> Delivery:
    delivery = outbox.enqueue_email(
        organisation=organisation,
        to=to,
        language="fr",
        template=PROBE,
        context={"payload": {}},
        event="alert.escalated",
        idempotency_key=f"escalation:{to}",
    )
    assert delivery is not None
    delivery.refresh_from_db()
    return delivery


def test_refused_recipient_is_dead_without_retry(
    refusing_smtp: MailBox, probe_template: str, est_a: Organisation
) -> None:
    delivery = _direct(est_a, "gone@chu-alpha.example")
    assert delivery.state == DeliveryState.DEAD
    assert delivery.attempts == 1
    [attempt] = delivery.attempt_log.all()
    assert (attempt.outcome, attempt.status_code) == ("permanent", 550)
    assert refusing_smtp.messages == []


def test_deferred_recipient_is_retried_later(
    refusing_smtp: MailBox, probe_template: str, est_a: Organisation
) -> None:
    delivery = _direct(est_a, "busy@chu-alpha.example")
    assert delivery.state == DeliveryState.RETRY
    assert delivery.attempt_log.get().status_code == 451


def test_mail_server_down_is_a_temporary_failure(
    settings: Any, probe_template: str, est_a: Organisation, db: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _free_port()  # nothing listens there
    delivery = outbox.enqueue_email(
        organisation=est_a,
        to="rssi@chu-alpha.example",
        language="fr",
        template=PROBE,
        context={"payload": {}},
        event="alert.escalated",
        idempotency_key="escalation:down",
    )
    assert delivery is not None
    assert outbox.deliver_due() == {"retry": 1}
    delivery.refresh_from_db()
    assert delivery.last_error == "mail server refused the connection"
    assert delivery.next_attempt_at > delivery.created_at


def test_context_that_is_not_json_is_refused_at_enqueue(est_a: Organisation) -> None:
    with pytest.raises(ValueError, match="JSON"):
        outbox.enqueue_email(
            organisation=est_a,
            to="rssi@chu-alpha.example",
            language="fr",
            template=PROBE,
            context={"when": datetime(2026, 1, 1, tzinfo=UTC)},
            event="alert.escalated",
            idempotency_key="k",
        )
    assert not Delivery.objects.exists()


def test_missing_template_makes_the_delivery_dead(est_a: Organisation, db: Any) -> None:
    Channel.objects.filter(organisation=est_a, kind=ChannelKind.EMAIL).update(
        extra_addresses=["x@chu-alpha.example"]
    )
    outbox.enqueue_email(
        organisation=est_a,
        to="rssi@chu-alpha.example",
        language="fr",
        template="notify/mail/does_not_exist",
        context={},
        event="alert.escalated",
        idempotency_key="k",
    )
    assert outbox.deliver_due() == {"dead": 1}
    assert "TemplateDoesNotExist" in Delivery.objects.get().last_error


def test_a_resent_email_keeps_its_message_id_so_mail_clients_see_one_message(
    probe_template: str, est_a: Organisation, db: Any
) -> None:
    from django.core import mail

    delivery = outbox.enqueue_email(
        organisation=est_a,
        to="rssi@chu-alpha.example",
        language="fr",
        template=PROBE,
        context={"payload": {}},
        event="alert.escalated",
        idempotency_key="escalation:resent",
    )
    assert delivery is not None
    assert outbox.deliver_due() == {"sent": 1}
    # A worker killed after the server accepted the message, before the row said so: resent.
    Delivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.RETRY)
    assert outbox.deliver_due() == {"sent": 1}
    first, second = (message.message()["Message-ID"] for message in mail.outbox)
    assert first == second == f"<{delivery.public_id}@localhost>"

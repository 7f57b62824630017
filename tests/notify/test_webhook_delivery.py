"""Webhooks against a real HTTP server on 127.0.0.1: signatures, retries, final failures."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from tests.notify.conftest import Receiver
from vigie import __version__
from vigie.audit.models import AuditEvent
from vigie.notify import outbox, retry
from vigie.notify.models import Channel, Delivery, DeliveryState
from vigie.notify.secretbox import SecretUnreadable, decrypt_secret
from vigie.tenancy.models import Organisation

PAYLOAD = {"alert": 12, "vulnerability": "CVE-2024-3400", "priority": "act"}


def enqueue(organisation: Organisation, key: str = "alert.new:12") -> list[Delivery]:
    return outbox.enqueue_for_channels(
        organisation=organisation,
        event="alert.new",
        payload=PAYLOAD,
        email_template="vulns/mail/alert",
        email_context={"payload": PAYLOAD, "event": "alert.new"},
        idempotency_key=key,
        related="vulns.alert:12",
    )


def test_webhook_post_is_signed_and_carries_the_documented_headers(
    receiver: Receiver, webhook: Channel, est_a: Organisation
) -> None:
    [delivery] = enqueue(est_a)
    assert outbox.deliver_due() == {"sent": 1}

    [request] = receiver.requests
    assert request.signature_ok
    assert request.path == "/hooks/vigie?token=abc"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == f"VigieSante/{__version__}"
    assert request.headers["X-Vigie-Event"] == "alert.new"
    assert request.headers["Idempotency-Key"] == "alert.new:12"
    assert request.headers["X-Vigie-Delivery"] == str(delivery.public_id)
    assert request.headers["Host"] == receiver.url.split("/")[2]
    assert request.json["data"] == PAYLOAD
    assert request.json["organisation"] == est_a.slug
    assert request.json["related"] == "vulns.alert:12"

    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT
    assert delivery.sent_at is not None
    assert [(a.outcome, a.status_code) for a in delivery.attempt_log.all()] == [("ok", 200)]
    webhook.refresh_from_db()
    assert webhook.last_success_at is not None


def test_a_signature_made_with_another_secret_does_not_verify(
    receiver: Receiver, webhook: Channel, est_a: Organisation
) -> None:
    receiver.secret = "whsec_not-the-right-one"
    enqueue(est_a)
    outbox.deliver_due()
    assert receiver.requests
    assert not receiver.requests[0].signature_ok


def test_failing_receiver_is_retried_after_backoff_with_the_same_idempotency_key(
    receiver: Receiver, webhook: Channel, est_a: Organisation
) -> None:
    receiver.script = [500, 200]
    [delivery] = enqueue(est_a)
    started = timezone.now()
    assert outbox.deliver_due() == {"retry": 1}
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.RETRY
    assert delivery.last_error == "HTTP 500"
    # First wait: 30 s ± 20 % jitter.
    wait = delivery.next_attempt_at - started
    assert timedelta(seconds=23) <= wait <= timedelta(seconds=37)

    # Not due yet: nothing is sent again.
    assert outbox.deliver_due() == {}
    assert len(receiver.requests) == 1

    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1), tick=True):
        assert outbox.deliver_due() == {"sent": 1}
        assert [r.signature_ok for r in receiver.requests] == [True, True]

    first, second = receiver.requests
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert first.headers["X-Vigie-Delivery"] == second.headers["X-Vigie-Delivery"]
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT
    assert delivery.attempts == 2
    assert [(a.outcome, a.status_code) for a in delivery.attempt_log.all()] == [
        ("temporary", 500),
        ("ok", 200),
    ]


def test_gone_receiver_is_dead_at_once_without_retry(
    receiver: Receiver, webhook: Channel, est_a: Organisation
) -> None:
    receiver.script = [410]
    [delivery] = enqueue(est_a)
    assert outbox.deliver_due() == {"dead": 1}
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DEAD
    assert delivery.attempts == 1
    assert [a.outcome for a in delivery.attempt_log.all()] == ["permanent"]
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert outbox.deliver_due() == {}
    assert len(receiver.requests) == 1
    webhook.refresh_from_db()
    assert webhook.last_failure_at is not None


def test_hanging_receiver_times_out_and_is_retried(
    receiver: Receiver, webhook: Channel, est_a: Organisation, settings: Any
) -> None:
    settings.VIGIE_WEBHOOK_TIMEOUT_SECONDS = 1
    receiver.script = ["hang"]
    [delivery] = enqueue(est_a)
    assert outbox.deliver_due() == {"retry": 1}
    delivery.refresh_from_db()
    assert delivery.last_error == "timed out after 1 s"
    assert [a.outcome for a in delivery.attempt_log.all()] == ["temporary"]


def test_receiver_dripping_its_answer_is_cut_off_at_the_overall_deadline(
    receiver: Receiver, webhook: Channel, est_a: Organisation, settings: Any
) -> None:
    # Every byte arrives well within the 1 s per-read timeout; the whole answer (12 s) never
    # does within the 3 s the exchange is allowed.
    settings.VIGIE_WEBHOOK_TIMEOUT_SECONDS = 1
    receiver.script = ["drip"]
    [delivery] = enqueue(est_a)
    assert outbox.deliver_due() == {"retry": 1}
    delivery.refresh_from_db()
    assert delivery.last_error == "no complete answer within 3 s"
    assert [a.outcome for a in delivery.attempt_log.all()] == ["temporary"]


def test_too_many_requests_waits_at_least_what_the_receiver_asks(
    receiver: Receiver, webhook: Channel, est_a: Organisation
) -> None:
    receiver.script = [(429, {"Retry-After": "900"})]
    [delivery] = enqueue(est_a)
    before = timezone.now()
    outbox.deliver_due()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.RETRY
    assert delivery.next_attempt_at >= before + timedelta(seconds=900)


def test_redirect_is_not_followed_and_is_final(
    receiver: Receiver, webhook: Channel, est_a: Organisation
) -> None:
    receiver.script = [(302, {"Location": "http://169.254.169.254/latest/meta-data/"})]
    [delivery] = enqueue(est_a)
    assert outbox.deliver_due() == {"dead": 1}
    delivery.refresh_from_db()
    assert "redirects are not followed" in delivery.last_error
    assert len(receiver.requests) == 1


def test_delivery_is_dead_after_the_last_allowed_attempt(
    receiver: Receiver, webhook: Channel, est_a: Organisation, settings: Any
) -> None:
    settings.VIGIE_NOTIFY_MAX_ATTEMPTS = 3
    receiver.script = [503, 503, 503, 200]
    [delivery] = enqueue(est_a)
    for _ in range(3):
        delivery.refresh_from_db()
        with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1), tick=True):
            outbox.deliver_due()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DEAD
    assert delivery.attempts == 3
    assert len(receiver.requests) == 3


def test_backoff_grows_then_stays_at_the_longest_wait(settings: Any) -> None:
    settings.VIGIE_NOTIFY_BACKOFF_SECONDS = ["30", "120", "600", "3600", "21600"]
    for attempts, base in [(1, 30), (2, 120), (3, 600), (4, 3600), (5, 21600), (9, 21600)]:
        seconds = retry.delay_after(attempts).total_seconds()
        assert base * 0.8 <= seconds <= base * 1.2


def test_same_event_enqueued_twice_is_delivered_once(
    receiver: Receiver, webhook: Channel, est_a: Organisation
) -> None:
    assert len(enqueue(est_a)) == 1
    assert enqueue(est_a) == []
    assert Delivery.objects.count() == 1
    outbox.deliver_due()
    assert len(receiver.requests) == 1
    # Another event (another key) goes out.
    assert len(enqueue(est_a, key="alert.new:13")) == 1


def test_disabled_channel_receives_nothing(
    receiver: Receiver, webhook: Channel, est_a: Organisation
) -> None:
    Channel.objects.filter(pk=webhook.pk).update(enabled=False)
    assert enqueue(est_a) == []
    assert outbox.deliver_due() == {}
    assert receiver.requests == []


def test_secret_is_encrypted_at_rest_and_bound_to_its_organisation(
    receiver: Receiver, webhook: Channel, est_a: Organisation, est_b: Organisation
) -> None:
    stored = Channel.objects.get(pk=webhook.pk).secret_encrypted
    assert receiver.secret not in stored
    assert decrypt_secret(stored, organisation_id=est_a.pk) == receiver.secret
    with pytest.raises(SecretUnreadable):
        decrypt_secret(stored, organisation_id=est_b.pk)
    # Nor does the audit log keep it, or the full URL with its token.
    details = json.dumps(list(AuditEvent.objects.values_list("details", flat=True)))
    assert receiver.secret not in details
    assert "token=abc" not in details


def test_secret_that_no_longer_decrypts_makes_the_delivery_dead(
    receiver: Receiver, webhook: Channel, est_a: Organisation, settings: Any
) -> None:
    settings.SECRET_KEY = "another key, the old one was lost " * 2
    [delivery] = enqueue(est_a)
    outbox.deliver_due()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DEAD
    assert "regenerate" in delivery.last_error
    assert receiver.requests == []


def test_old_secret_key_in_fallbacks_still_decrypts(
    receiver: Receiver, webhook: Channel, est_a: Organisation, settings: Any
) -> None:
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "the new key after a rotation " * 3
    enqueue(est_a)
    assert outbox.deliver_due() == {"sent": 1}
    assert receiver.requests[0].signature_ok

"""Changes to notification channels: each owns its transaction and its audit entry."""

from __future__ import annotations

import secrets

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest

from vigie.audit.log import record as audit
from vigie.notify import outbox, signing, ssrf
from vigie.notify.models import Channel, ChannelKind, Delivery
from vigie.notify.secretbox import encrypt_secret
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.roles import Cap

TEST_TEMPLATE = "notify/mail/test"


def _check(access: OrgAccess, channel: Channel) -> None:
    access.require(Cap.MANAGE_MEMBERS)
    if channel.organisation_id != access.organisation.pk:
        raise PermissionDenied("channel")


def _summary(channel: Channel) -> dict[str, object]:
    """What the audit log keeps of a channel: never the secret, never the full URL."""
    summary: dict[str, object] = {"kind": channel.kind, "name": channel.name}
    summary["enabled"] = channel.enabled
    if channel.kind == ChannelKind.EMAIL:
        summary["roles"] = list(channel.roles or [])
        summary["extra_addresses"] = len(channel.extra_addresses or [])
    else:
        summary["url"] = channel.display_url
    summary["filters"] = {
        "priorities": list(channel.priorities or []),
        "care_units": list(channel.care_units or []),
        "asset_kinds": list(channel.asset_kinds or []),
        "criticalities": list(channel.criticalities or []),
    }
    return summary


def create_channel(
    *, access: OrgAccess, channel: Channel, request: HttpRequest | None = None
) -> str | None:
    """Save a new channel; for a webhook, returns its signing secret (shown once, never again)."""
    access.require(Cap.MANAGE_MEMBERS)
    channel.organisation = access.organisation
    channel.created_by = access.user
    secret: str | None = None
    if channel.kind == ChannelKind.WEBHOOK:
        ssrf.check_url(channel.url)
        secret = signing.new_secret()
        channel.secret_encrypted = encrypt_secret(secret, organisation_id=access.organisation.pk)
    with transaction.atomic():
        channel.save()
        audit(
            "notify.channel_created",
            actor=access.user,
            organisation=access.organisation,
            target=channel,
            request=request,
            details=_summary(channel),
        )
    return secret


def update_channel(
    *, access: OrgAccess, channel: Channel, request: HttpRequest | None = None
) -> Channel:
    _check(access, channel)
    if channel.kind == ChannelKind.WEBHOOK:
        ssrf.check_url(channel.url)
    with transaction.atomic():
        before = Channel.objects.select_for_update().filter(pk=channel.pk).first()
        channel.save()
        if not channel.enabled:
            outbox.abandon_pending([channel], "the channel was disabled")
        details = _summary(channel)
        if before is not None:
            # Who narrowed a channel, and from what: the reason someone stopped receiving.
            old = _summary(before)
            details["changed"] = sorted(key for key in details if old.get(key) != details[key])
            if old["filters"] != details["filters"]:
                details["previous_filters"] = old["filters"]
        audit(
            "notify.channel_updated",
            actor=access.user,
            organisation=access.organisation,
            target=channel,
            request=request,
            details=details,
        )
    return channel


def regenerate_secret(
    *, access: OrgAccess, channel: Channel, request: HttpRequest | None = None
) -> str:
    _check(access, channel)
    if channel.kind != ChannelKind.WEBHOOK:
        raise PermissionDenied("only webhooks have a secret")
    secret = signing.new_secret()
    channel.secret_encrypted = encrypt_secret(secret, organisation_id=access.organisation.pk)
    with transaction.atomic():
        channel.save(update_fields=["secret_encrypted", "updated_at"])
        audit(
            "notify.channel_updated",
            actor=access.user,
            organisation=access.organisation,
            target=channel,
            request=request,
            details={**_summary(channel), "secret": "regenerated"},
        )
    return secret


def delete_channel(
    *, access: OrgAccess, channel: Channel, request: HttpRequest | None = None
) -> None:
    _check(access, channel)
    with transaction.atomic():
        outbox.abandon_pending([channel], "the channel was deleted")
        audit(
            "notify.channel_deleted",
            actor=access.user,
            organisation=access.organisation,
            target=channel,
            request=request,
            details=_summary(channel),
        )
        channel.delete()


def send_test(
    *, access: OrgAccess, channel: Channel, request: HttpRequest | None = None
) -> list[Delivery]:
    """A "test" delivery through this channel only, whether enabled or not yet."""
    _check(access, channel)
    payload = {
        "message": "Test notification from Vigie Santé",
        "channel": channel.name,
        "requested_by": access.user.get_username(),
    }
    with transaction.atomic():
        # Each click is a new test: a fresh key, so it is never taken for a duplicate.
        deliveries = outbox.enqueue_for_channel(
            channel,
            event=outbox.TEST_EVENT,
            payload=payload,
            email_template=TEST_TEMPLATE,
            email_context={
                "organisation": access.organisation.name,
                "channel": channel.name,
                "requested_by": access.user.get_username(),
            },
            idempotency_key=f"test:{channel.pk}:{secrets.token_hex(8)}",
        )
        audit(
            "notify.test_sent",
            actor=access.user,
            organisation=access.organisation,
            target=channel,
            request=request,
            details={"deliveries": len(deliveries)},
        )
    return deliveries

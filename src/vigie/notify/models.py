"""Notification channels of an organisation, and the outbox of deliveries with their attempts."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vigie.notify.events import event_label
from vigie.tenancy.roles import Role

DEFAULT_EMAIL_ROLES = [Role.SECURITY_OFFICER.value, Role.ADMIN.value]


def default_email_roles() -> list[str]:
    return list(DEFAULT_EMAIL_ROLES)


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Webhook")


class Channel(models.Model):
    """Where an organisation's notifications go: members by role (e-mail) or a signed webhook."""

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="notification_channels"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    name = models.CharField(_("name"), max_length=100)
    enabled = models.BooleanField(_("enabled"), default=True)
    # E-mail: the roles whose members receive, plus addresses outside the platform.
    roles = models.JSONField(_("roles that receive"), default=default_email_roles, blank=True)
    extra_addresses = models.JSONField(_("other addresses"), default=list, blank=True)
    # Webhook: the receiver, and its signing secret encrypted at rest (notify/secretbox.py).
    url = models.CharField(_("URL"), max_length=2000, blank=True)
    secret_encrypted = models.TextField(blank=True)
    # Filters (notify/filters.py), each empty for "all": an alert goes through the channel when
    # its priority is listed and one of its affected assets passes the three asset filters.
    priorities = models.JSONField(_("priorities"), default=list, blank=True)
    care_units = models.JSONField(_("care units"), default=list, blank=True)
    asset_kinds = models.JSONField(_("asset kinds"), default=list, blank=True)
    criticalities = models.JSONField(_("clinical criticalities"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["organisation", "enabled"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["email", "webhook"]), name="notify_channel_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_url(self) -> str:
        return redacted_url(self.url)


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    RETRY = "retry", _("Failed, will retry")
    DEAD = "dead", _("Failed for good")


_STATE_CSS: dict[str, str] = {
    DeliveryState.SENT: "ok",
    DeliveryState.PENDING: "muted",
    DeliveryState.SENDING: "muted",
    DeliveryState.RETRY: "warn",
    DeliveryState.DEAD: "bad",
}

# States a worker may claim (when next_attempt_at is due).
CLAIMABLE_STATES = (DeliveryState.PENDING, DeliveryState.RETRY)


class Delivery(models.Model):
    """One message to one recipient: the outbox row, written in the transaction that causes it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="notification_deliveries"
    )
    # Null for e-mail sent straight to a person (escalations); kept null when a channel goes.
    channel = models.ForeignKey(
        Channel, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    channel_name = models.CharField(max_length=100, blank=True)
    transport = models.CharField(max_length=16, choices=ChannelKind.choices)
    recipient = models.CharField(max_length=2000)
    event = models.CharField(max_length=64)
    # E-mail: the template and its context, rendered at send time in `language`.
    # Webhook: the event's payload, sent as JSON.
    template = models.CharField(max_length=200, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    language = models.CharField(max_length=8, blank=True)
    # The zone the recipient reads dates in (accounts.zones); empty: the platform's.
    time_zone = models.CharField(max_length=40, blank=True)
    idempotency_key = models.CharField(max_length=200)
    # sha256 of (channel or organisation, recipient, idempotency_key): one row per event and
    # recipient whatever the lengths involved (a unique index over a 2000-character URL would not).
    dedup_key = models.CharField(max_length=64, unique=True)
    state = models.CharField(
        max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    related_object = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="notify_delivery_due"),
            models.Index(fields=["state", "claimed_at"], name="notify_delivery_claimed"),
            models.Index(fields=["organisation", "-created_at"], name="notify_delivery_org"),
            models.Index(fields=["organisation", "state"], name="notify_delivery_org_state"),
            models.Index(fields=["organisation", "event"], name="notify_delivery_org_event"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=[s.value for s in DeliveryState]),
                name="notify_delivery_state_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.display_recipient}"

    @property
    def state_css(self) -> str:
        return _STATE_CSS.get(self.state, "muted")

    @property
    def event_label(self) -> str:
        return event_label(self.event)

    @property
    def display_recipient(self) -> str:
        if self.transport == ChannelKind.WEBHOOK:
            return redacted_url(self.recipient)
        return self.recipient


class AttemptOutcome(models.TextChoices):
    OK = "ok", _("Delivered")
    TEMPORARY = "temporary", _("Temporary failure")
    PERMANENT = "permanent", _("Permanent failure")
    # The worker died (or hung) during the attempt: the row went back to the queue.
    INTERRUPTED = "interrupted", _("Interrupted (the worker stopped)")


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=16, choices=AttemptOutcome.choices)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    worker = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.outcome}"


def redacted_url(url: str) -> str:
    """Scheme, host and first path segment only.

    Receivers often carry a token in the path or the query (chat webhooks do), and every member
    may read the channel list and the delivery log; the full URL is only on the edit form.
    """
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return "…"
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    segments = [segment for segment in parts.path.split("/") if segment]
    path = f"/{segments[0]}" if segments else "/"
    more = "/…" if len(segments) > 1 or parts.query else ""
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}{path}{more}"

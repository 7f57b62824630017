"""Phishing simulations: recipient lists an establishment owns, campaigns, and one row per
recipient holding the first time of each event (sent, opened, clicked, submitted, reported).

What a person typed in the simulated sign-in form is never stored: `submitted_at` is all we
keep. Recipients are addressed through a derived token (tokens.py), never a stored secret.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vigie.tenancy.models import CareUnit, Organisation


class RecipientList(models.Model):
    """An uploaded list of addresses (CSV: email, name, service) that the establishment owns."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="phishing_lists"
    )
    name = models.CharField(_("name"), max_length=200)
    filename = models.CharField(max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class ListEntry(models.Model):
    recipient_list = models.ForeignKey(
        RecipientList, on_delete=models.CASCADE, related_name="entries"
    )
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=200, blank=True)
    service = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recipient_list", "email"], name="phishing_entry_unique"
            )
        ]
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.email


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Sending")
    DONE = "done", _("Finished")
    STOPPED = "stopped", _("Stopped")


class Source(models.TextChoices):
    MEMBERS = "members", _("The establishment's members")
    LIST = "list", _("An uploaded list")


DEFAULT_RATE = 20
MAX_RATE = 120


class Campaign(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="phishing_campaigns"
    )
    name = models.CharField(_("name"), max_length=200)
    template = models.CharField(_("message"), max_length=40)
    language = models.CharField(_("language"), max_length=8)
    sender_name = models.CharField(_("sender display name"), max_length=100)
    source = models.CharField(_("recipients"), max_length=10, choices=Source.choices)
    care_unit = models.ForeignKey(
        CareUnit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("care unit"),
    )
    recipient_list = models.ForeignKey(
        RecipientList,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name=_("uploaded list"),
    )
    rate = models.PositiveSmallIntegerField(_("messages per minute"), default=DEFAULT_RATE)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    launched_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state"], name="phishing_campaign_state")]

    def __str__(self) -> str:
        return self.name


class Target(models.Model):
    """One recipient of one campaign, fixed at launch; its events' first times."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets")
    email = models.EmailField(max_length=254)
    # Keyed hash of the lower-cased address: repeat clickers are matched across campaigns by it.
    address_hash = models.CharField(max_length=64, db_index=True)
    service = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "email"], name="phishing_target_unique")
        ]
        indexes = [models.Index(fields=["campaign", "sent_at"], name="phishing_target_unsent")]
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"target {self.pk}"

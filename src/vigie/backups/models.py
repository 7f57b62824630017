"""Backup sets of the critical systems, the facts ingested about them, and the notices sent.

A set declares a policy (RPO, RTO, copies, media, off-site, offline or immutable, how often a
restore is tested); what happened is stored as it was read from the tools (snapshots,
integrity checks) or recorded by people (restore tests). Findings are computed from these by
`vigie.engines.backups.evaluate` every time they are read.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Tool(models.TextChoices):
    RESTIC = "restic", "restic"
    BORG = "borg", "BorgBackup"
    OTHER = "other", _("Other")


class RestoreResult(models.TextChoices):
    SUCCESS = "success", _("Success")
    PARTIAL = "partial", _("Partial")
    FAILED = "failed", _("Failed")


class Source(models.TextChoices):
    UPLOAD = "upload", _("Upload")
    API = "api", _("API")
    SENSOR = "sensor", _("Sensor")
    DEMO = "demo", _("Demo")


class BackupSet(models.Model):
    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="backup_sets"
    )
    system = models.CharField(_("system"), max_length=200)
    assets = models.ManyToManyField(
        "inventory.Asset", blank=True, related_name="backup_sets", verbose_name=_("assets")
    )
    tool = models.CharField(_("tool"), max_length=16, choices=Tool.choices, default=Tool.RESTIC)
    schedule = models.CharField(_("schedule"), max_length=200, blank=True)
    rpo_hours = models.PositiveIntegerField(
        _("RPO (hours)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 366)],
        help_text=_("The most data, in hours, the establishment accepts to lose."),
    )
    rto_hours = models.PositiveIntegerField(
        _("RTO (hours)"),
        default=8,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 366)],
        help_text=_("How long, at most, restoring the system may take."),
    )
    copies_count = models.PositiveSmallIntegerField(
        _("copies"), default=1, validators=[MaxValueValidator(99)]
    )
    media_count = models.PositiveSmallIntegerField(
        _("kinds of media"), default=1, validators=[MaxValueValidator(99)]
    )
    offsite = models.BooleanField(_("a copy off-site"), default=False)
    offline_or_immutable = models.BooleanField(_("a copy offline or immutable"), default=False)
    restore_test_every_days = models.PositiveIntegerField(
        _("restore test every (days)"),
        default=180,
        validators=[MinValueValidator(1), MaxValueValidator(3660)],
    )
    notes = models.TextField(_("notes"), blank=True, max_length=5_000)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["system", "pk"]
        indexes = [models.Index(fields=["organisation", "system"], name="backup_set_org")]

    def __str__(self) -> str:
        return self.system


class Snapshot(models.Model):
    """A successful backup (restic snapshot, borg archive), unique per set and tool id: the
    same status file uploaded twice stores it once."""

    backup_set = models.ForeignKey(BackupSet, on_delete=models.CASCADE, related_name="snapshots")
    tool_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    taken_at = models.DateTimeField()
    data_added = models.PositiveBigIntegerField(null=True)
    total_bytes = models.PositiveBigIntegerField(null=True)
    files_new = models.PositiveBigIntegerField(null=True)
    files_changed = models.PositiveBigIntegerField(null=True)
    files_unmodified = models.PositiveBigIntegerField(null=True)
    duration_s = models.FloatField(null=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    ingested_at = models.DateTimeField()

    class Meta:
        ordering = ["-taken_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["backup_set", "tool_id"], name="backup_snapshot_once")
        ]
        indexes = [models.Index(fields=["backup_set", "-taken_at"], name="backup_snapshot_at")]

    def __str__(self) -> str:
        return f"{self.tool_id} {self.taken_at:%Y-%m-%d %H:%M}"


class IntegrityCheck(models.Model):
    backup_set = models.ForeignKey(BackupSet, on_delete=models.CASCADE, related_name="checks")
    at = models.DateTimeField()
    ok = models.BooleanField()
    warning = models.BooleanField(default=False)
    errors = models.PositiveIntegerField(default=0)
    exit_code = models.SmallIntegerField()
    excerpt = models.TextField(blank=True)
    source = models.CharField(max_length=16, choices=Source.choices)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"check {self.at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'failed'}"


class RestoreTest(models.Model):
    backup_set = models.ForeignKey(
        BackupSet, on_delete=models.CASCADE, related_name="restore_tests"
    )
    tested_on = models.DateField(_("date of the test"))
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"), null=True, blank=True, validators=[MaxValueValidator(525_600)]
    )
    result = models.CharField(_("result"), max_length=16, choices=RestoreResult.choices)
    restored = models.CharField(_("what was restored"), max_length=500)
    performed_by = models.CharField(_("by whom"), max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-tested_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.tested_on} {self.result}"


class ProblemNotice(models.Model):
    """A problem episode notified: written in the transaction that queues its notifications,
    so the periodic check can be re-run (or killed) without telling anyone twice."""

    backup_set = models.ForeignKey(BackupSet, on_delete=models.CASCADE, related_name="notices")
    code = models.CharField(max_length=32)
    anchor = models.CharField(max_length=100)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["backup_set", "code", "anchor"], name="backup_notice_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.anchor}"

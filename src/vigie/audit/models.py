"""The append-only audit log of security-relevant actions.

Append-only is enforced twice: the ORM refuses updates and deletes (model and queryset), and the
database refuses them too (triggers created by migration 0002), so a bug or a shell session
cannot rewrite history.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(RuntimeError):
    pass


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit events cannot be updated")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("audit events cannot be deleted")


class Action(models.TextChoices):
    LOGIN = "auth.login", _("Login")
    LOGIN_FAILED = "auth.login_failed", _("Failed login")
    LOGIN_LOCKED = "auth.locked", _("Login refused: locked out")
    LOGOUT = "auth.logout", _("Logout")
    OTP_FAILED = "auth.otp_failed", _("Failed second-factor code")
    OTP_ENABLED = "auth.otp_enabled", _("Two-factor authentication enabled")
    OTP_DISABLED = "auth.otp_disabled", _("Two-factor authentication disabled")
    BACKUP_CODES = "auth.backup_codes", _("Backup codes regenerated")
    PASSWORD_CHANGED = "auth.password_changed", _("Password changed")
    TOKEN_CREATED = "token.created", _("API token created")
    TOKEN_REVOKED = "token.revoked", _("API token revoked")
    MEMBER_INVITED = "member.invited", _("Member invited")
    INVITATION_REVOKED = "member.invitation_revoked", _("Invitation revoked")
    MEMBER_JOINED = "member.joined", _("Member joined")
    ROLE_CHANGED = "member.role_changed", _("Role changed")
    MEMBER_REMOVED = "member.removed", _("Member removed")
    ORG_CREATED = "org.created", _("Establishment registered")
    ORG_UPDATED = "org.updated", _("Organisation details changed")
    EXPORT = "data.export", _("Data exported")
    PASSWORD_RESET_REQUESTED = "auth.password_reset_requested", _("Password reset requested")
    PASSWORD_RESET = "auth.password_reset", _("Password reset by e-mail link")
    ALERT_STATE_CHANGED = "alert.state_changed", _("Alert state changed")
    ALERT_ASSIGNED = "alert.assigned", _("Alert assigned")
    ALERT_POLICY_CHANGED = "alert.policy_changed", _("Alert deadlines changed")
    ASSET_CREATED = "inventory.asset_created", _("Asset added")
    ASSET_CHANGED = "inventory.asset_changed", _("Asset changed")
    ASSET_DELETED = "inventory.asset_deleted", _("Asset deleted")
    IMPORT_PREVIEWED = "inventory.import_previewed", _("Inventory import previewed")
    IMPORTED = "inventory.imported", _("Inventory imported")
    CHANNEL_CREATED = "notify.channel_created", _("Notification channel created")
    CHANNEL_UPDATED = "notify.channel_updated", _("Notification channel changed")
    CHANNEL_DELETED = "notify.channel_deleted", _("Notification channel deleted")
    TEST_SENT = "notify.test_sent", _("Test notification sent")
    INDICATORS_IMPORTED = "intel.indicators_imported", _("Indicators imported")
    INDICATORS_EXPORTED = "intel.indicators_exported", _("Indicators exported")
    SIGHTING_REPORTED = "intel.sighting_reported", _("Sighting reported")
    SIGHTING_STATE_CHANGED = "intel.sighting_state_changed", _("Sighting state changed")
    ADVISORY_SAVED = "intel.advisory_saved", _("Advisory saved")
    ADVISORY_PUBLISHED = "intel.advisory_published", _("Advisory published")
    ADVISORY_ACKNOWLEDGED = "intel.advisory_acknowledged", _("Advisory acknowledged")
    INCIDENT_DECLARED = "incident.declared", _("Incident declared")
    INCIDENT_UPDATED = "incident.updated", _("Incident declaration changed")
    INCIDENT_TRIAGED = "incident.triaged", _("Incident triaged")
    INCIDENT_PHASE = "incident.phase_changed", _("Incident phase changed")
    INCIDENT_EVIDENCE = "incident.evidence_added", _("Evidence added to an incident")
    INCIDENT_EVIDENCE_READ = "incident.evidence_downloaded", _("Incident evidence downloaded")
    INCIDENT_REPORT = "incident.report_submitted", _("Incident report submitted")
    INCIDENT_SHARED = "incident.indicators_shared", _("Incident indicators shared")
    CARE_UNIT_SAVED = "org.care_unit_saved", _("Care unit saved")
    BACKUP_SET_SAVED = "backup.set_saved", _("Backup set saved")
    BACKUP_SET_DELETED = "backup.set_deleted", _("Backup set deleted")
    BACKUP_STATUS_INGESTED = "backup.status_ingested", _("Backup status ingested")
    RESTORE_TEST_RECORDED = "backup.restore_test", _("Restore test recorded")
    PLAN_SAVED = "continuity.plan_saved", _("Continuity plan saved")
    PLAN_REVIEWED = "continuity.plan_reviewed", _("Continuity plan reviewed")
    EXERCISE_SAVED = "exercise.saved", _("Crisis exercise saved")
    EXERCISE_ACTION = "exercise.action_changed", _("Exercise action changed")
    TRAINING_ASSIGNED = "training.assigned", _("Training assigned")
    TRAINING_COMPLETED = "training.completed", _("Training completed")
    PHISHING_LAUNCHED = "phishing.launched", _("Phishing simulation launched")
    PHISHING_STOPPED = "phishing.stopped", _("Phishing simulation stopped")
    PHISHING_LIST_UPLOADED = "phishing.list_uploaded", _("Phishing recipient list uploaded")


class AuditEvent(models.Model):
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Copied so the log still reads right after the user is renamed or deleted.
    actor_username = models.CharField(max_length=150, blank=True)
    organisation = models.ForeignKey(
        "tenancy.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "-at"]),
            models.Index(fields=["actor", "-at"]),
            # Members' sign-ins (no organisation) are found by the copied user name.
            models.Index(fields=["actor_username", "-at"], name="audit_actor_name_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at.isoformat()} {self.actor_username or '-'} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("audit events cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit events cannot be deleted")

    def action_label(self) -> str:
        try:
            return str(Action(self.action).label)
        except ValueError:
            return self.action

"""Vulnerabilities from the feeds, and the alerts they raise in each establishment."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vigie.vulns.liveness import ProcessStamp


class Vulnerability(models.Model):
    """One vulnerability (a CVE, or an advisory's own id where it names no CVE), all feeds merged.

    Exploitation data (KEV, EPSS) is per CVE; how products are affected is per feed record.
    """

    vuln_id = models.CharField(_("identifier"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=500, blank=True)
    description = models.TextField(_("description"), blank=True)
    published = models.DateTimeField(null=True, blank=True)
    modified = models.DateTimeField(null=True, blank=True)
    rejected = models.BooleanField(default=False)
    cvss_version = models.CharField(max_length=4, blank=True)
    cvss_vector = models.CharField(max_length=200, blank=True)
    cvss_score = models.FloatField(null=True, blank=True)
    cwes = models.JSONField(default=list, blank=True)
    references = models.JSONField(default=list, blank=True)
    exploit_reference = models.BooleanField(
        default=False, help_text=_("A public exploit is referenced (NVD reference tagged Exploit).")
    )
    ssvc_exploitation = models.CharField(max_length=8, blank=True)
    ssvc_automatable = models.CharField(max_length=4, blank=True)
    ssvc_technical_impact = models.CharField(max_length=8, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    # Raised by every change of what matching reads about it (records, KEV, EPSS, VEX), in the
    # transaction of the change. A match computed from an older version is not applied: the
    # change's own PendingMatch row has it evaluated again from the new data (vulns/pending.py).
    data_version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-published"]
        verbose_name_plural = "vulnerabilities"

    def __str__(self) -> str:
        return self.vuln_id


class FeedRecord(models.Model):
    """What one feed says about one vulnerability (NVD configurations, CSAF products, ...)."""

    vulnerability = models.ForeignKey(
        Vulnerability, on_delete=models.CASCADE, related_name="records"
    )
    source = models.CharField(max_length=200)  # "nvd", "cve5" or "csaf:<tracking id>"
    record = models.JSONField()  # the engines' VulnRecord, serialised (vulns/serialise.py)
    modified = models.DateTimeField(null=True, blank=True)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vulnerability", "source"], name="feed_record_unique")
        ]

    def __str__(self) -> str:
        return f"{self.vulnerability_id} from {self.source}"


class VulnKey(models.Model):
    """The vulnerability index: which vendor/product/package keys a feed record can match.

    A new or changed asset is matched by looking up its own keys here.
    """

    record = models.ForeignKey(FeedRecord, on_delete=models.CASCADE, related_name="keys")
    kind = models.CharField(max_length=12)  # same kinds as inventory.AssetKey
    key = models.CharField(max_length=300)

    class Meta:
        indexes = [models.Index(fields=["kind", "key"])]
        constraints = [
            models.UniqueConstraint(fields=["record", "kind", "key"], name="vuln_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


class KevListing(models.Model):
    """A CVE listed in a known-exploited catalogue (CISA KEV or EU KEV), kept by CVE id.

    Kept apart from Vulnerability because catalogues list CVEs before any record of them
    reaches us; the listing applies as soon as the record arrives.
    """

    cve = models.CharField(max_length=32, db_index=True)
    catalogue = models.CharField(max_length=8)  # "cisa" or "eu"
    date_added = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    ransomware = models.BooleanField(default=False)
    vendor = models.CharField(max_length=200, blank=True)
    product = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=300, blank=True)
    required_action = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cve", "catalogue"], name="kev_unique")]

    def __str__(self) -> str:
        return f"{self.cve} ({self.catalogue} KEV)"


class EpssScore(models.Model):
    """FIRST EPSS probability of exploitation in the next 30 days, per CVE (daily refresh)."""

    cve = models.CharField(max_length=32, primary_key=True)
    epss = models.FloatField()
    percentile = models.FloatField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.cve} {self.epss:.3f}"


class VexRecord(models.Model):
    """A supplier's exploitability statement (CSAF VEX, CycloneDX VEX), applied when matching."""

    vulnerability = models.CharField(max_length=80, db_index=True)
    status = models.CharField(max_length=24)
    product = models.CharField(max_length=500)
    justification = models.TextField(blank=True)
    source = models.CharField(max_length=300, blank=True)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["vulnerability", "product", "source"], name="vex_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.vulnerability} {self.status} {self.product}"


class FeedRun(ProcessStamp):
    """One import of one feed (file or URL): what came in, what went wrong, where to resume.

    Also the runs that only match: `rematch` (everything, on request) and `resume` (the matching
    that interrupted runs, or requests that died, left owed). The process stamp says which
    process works on a running one: when that process is gone the run is `interrupted` and its
    owed matching (PendingMatch rows) is resumed by another run, named in `resumed_by`.
    """

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        OK = "ok", _("Done")
        PARTIAL = "partial", _("Done with errors")
        FAILED = "failed", _("Failed")
        INTERRUPTED = "interrupted", _("Interrupted")

    source = models.CharField(max_length=64)  # e.g. "nvd-api", "kev", "csaf-rolie:<host>", "file"
    location = models.CharField(max_length=500)  # path or URL (never with credentials)
    state = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict)
    errors = models.JSONField(default=list)
    # Resume point of incremental feeds: written only when the run ends well, in the UPDATE that
    # ends it, after every record it covers was matched.
    watermark = models.CharField(max_length=64, blank=True)
    triggered_by = models.CharField(max_length=64, blank=True)
    resumed_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="resumed"
    )

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["source", "-started_at"]),
            models.Index(fields=["state"]),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.started_at:%Y-%m-%d %H:%M} {self.state}"


class PendingMatch(models.Model):
    """Matching owed to data already committed: one vulnerability, or one asset, to evaluate.

    Written in the transaction that stores the data (feed records, KEV, EPSS, VEX, assets),
    deleted only once the alerts it calls for are committed. Whatever kills a process, the rows
    left are exactly the work that may not be done; `vulns/pending.py` drains them.

    * `vulnerability`: evaluate it against every inventory (or only `organisation`'s);
      `exploitation_only`: its KEV/EPSS data changed, evaluate it only where it alerts.
    * `asset`: a new or changed asset, evaluated against the vulnerabilities it may match.
    * The owner, when there is one, drains the row itself: a feed run, or an inventory import's
      matching task. Rows whose owner is gone (interrupted run, dead task, dead web request)
      are drained by the `resume-matching` job, and by `vigie vulns import|refresh|rematch`.
    """

    vulnerability = models.ForeignKey(
        Vulnerability, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    asset = models.ForeignKey(
        "inventory.Asset", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    exploitation_only = models.BooleanField(default=False)
    feed_run = models.ForeignKey(
        FeedRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="pending"
    )
    inventory_import = models.ForeignKey(
        "inventory.InventoryImport",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        what = (
            f"asset {self.asset_id}" if self.asset_id else f"vulnerability {self.vulnerability_id}"
        )
        return f"{what} (run {self.feed_run_id}, import {self.inventory_import_id})"


class AlertState(models.TextChoices):
    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_REMEDIATION = "in_remediation", _("In remediation")
    RESOLVED = "resolved", _("Resolved")
    ACCEPTED_RISK = "accepted_risk", _("Accepted risk")
    FALSE_POSITIVE = "false_positive", _("False positive")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATES = (AlertState.NEW, AlertState.ACKNOWLEDGED, AlertState.IN_REMEDIATION)


class Priority(models.TextChoices):
    ACT = "act", _("Act")
    ATTEND = "attend", _("Attend")
    TRACK_STAR = "track*", _("Track*")
    TRACK = "track", _("Track")


class Alert(models.Model):
    """One vulnerability in one establishment, listing the affected assets."""

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="alerts"
    )
    vulnerability = models.ForeignKey(
        Vulnerability, on_delete=models.CASCADE, related_name="alerts"
    )
    state = models.CharField(
        _("state"), max_length=16, choices=AlertState.choices, default=AlertState.NEW
    )
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices)
    decision = models.JSONField(default=dict)  # SSVC decision points and reasons (worst asset)
    first_seen = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    state_changed_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ack_due_at = models.DateTimeField(null=True, blank=True)
    remediation_due_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)  # 1 deputies, 2 the centre
    escalated_at = models.DateTimeField(null=True, blank=True)
    justification = models.TextField(_("justification"), blank=True)
    closed_reason = models.CharField(max_length=32, blank=True)
    # Who handles it now (the "assign" action); the events keep who handled it before.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_alerts",
        verbose_name=_("assignee"),
    )

    class Meta:
        ordering = ["-first_seen"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "vulnerability"], name="alert_unique_per_establishment"
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "state", "priority"]),
            models.Index(fields=["state", "ack_due_at"]),
            models.Index(fields=["vulnerability", "state"]),
            models.Index(
                fields=["organisation", "state", "remediation_due_at"], name="alert_list_due_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vulnerability_id} @ {self.organisation_id}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class AlertAsset(models.Model):
    """An asset an alert covers: one row per asset, whatever the number of feeds that match it.

    The winning match (most confident, then most precise feed: engines.matching.match_order)
    fills source, confidence, reason, criterion and version_range; the other feeds that match
    the same asset are listed in `corroboration`, best first.
    """

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="affected")
    asset = models.ForeignKey("inventory.Asset", on_delete=models.CASCADE, related_name="alerts")
    source = models.CharField(max_length=200)
    confidence = models.CharField(max_length=8)
    reason = models.TextField()  # English (engines/reason_text.py), as `vigie vulns match`
    # The same reason as [{"code", "params"}, ...] (engines/reason_text.MESSAGES): pages render
    # it in the reader's language (vulns/reasons.py). Empty on rows stored before it existed.
    reason_parts = models.JSONField(default=list, blank=True)
    criterion = models.CharField(max_length=500, blank=True)
    version_range = models.CharField(max_length=300, blank=True)
    # [{"source", "confidence", "criterion", "version_range", "reason", "reason_parts"}, ...]
    corroboration = models.JSONField(default=list, blank=True)
    priority = models.CharField(max_length=8, choices=Priority.choices)
    decision = models.JSONField(default=dict)
    active = models.BooleanField(default=True)
    suppressed_by = models.TextField(blank=True)  # a VEX statement, explained
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert", "asset"], name="alert_asset_unique_per_asset")
        ]
        indexes = [models.Index(fields=["asset", "active"])]

    def __str__(self) -> str:
        return f"{self.alert_id}: {self.asset_id} ({self.source})"


def affected_assets_count() -> models.Count:
    """Annotation of alerts: the distinct assets they affect now (what every count shows)."""
    return models.Count("affected__asset", filter=models.Q(affected__active=True), distinct=True)


class EventKind(models.TextChoices):
    """What happened to an alert. Stored as the code; pages show the label in the reader's
    language (vulns.timeline), the API gives the code with its details."""

    CREATED = "created", _("Alert raised")
    ASSETS_ADDED = "assets_added", _("Assets added")
    PRIORITY_RAISED = "priority_raised", _("Priority raised")
    PRIORITY_LOWERED = "priority_lowered", _("Priority lowered")
    REOPENED = "reopened", _("Reopened")
    CLOSED_BY_VEX = "closed_by_vex", _("Closed by a VEX statement")
    NO_LONGER_AFFECTED = "no_longer_affected", _("No asset affected any more")
    WITHDRAWN = "withdrawn", _("Withdrawn: the CVE was rejected by its numbering authority")
    STATE_CHANGED = "state_changed", _("State changed")
    ASSIGNED = "assigned", _("Assigned")
    COMMENT = "comment", _("Comment")
    ESCALATED = "escalated", _("Escalated")


class AlertEvent(models.Model):
    """The alert's timeline: what happened, when, by whom.

    System events keep codes and parameters in `details` (never a sentence, so the timeline reads
    in each reader's language); `message` holds only what a person wrote (justification, comment,
    assignment note).
    """

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    message = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.kind} {self.at.isoformat()}"


class AlertPolicy(models.Model):
    """Per-establishment response times and escalation contacts (defaults when absent)."""

    organisation = models.OneToOneField(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="alert_policy"
    )
    ack_hours_act = models.PositiveIntegerField(
        _("acknowledge an Act alert within (hours)"), default=4
    )
    ack_hours_attend = models.PositiveIntegerField(
        _("acknowledge an Attend alert within (hours)"), default=48
    )
    remediate_days_act = models.PositiveIntegerField(_("remediate Act within (days)"), default=1)
    remediate_days_attend = models.PositiveIntegerField(
        _("remediate Attend within (days)"), default=7
    )
    remediate_days_track_star = models.PositiveIntegerField(
        _("remediate Track* within (days)"), default=30
    )
    remediate_days_track = models.PositiveIntegerField(
        _("remediate Track within (days)"), default=90
    )
    deputies = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("deputies")
    )
    escalate_to_centre = models.BooleanField(
        _("escalate unacknowledged Act alerts to the centre"), default=True
    )

    def __str__(self) -> str:
        return f"policy of {self.organisation_id}"

"""Indicators of compromise, who published them, under which TLP, and the imports that brought them.

An indicator is one normalised (type, value) per publishing organisation: the same value from
several sources (a STIX bundle, a MISP event, a CSV) is one row with one `IndicatorSource` per
source. Who may read a row is decided in one place, `intel.visibility`, from its TLP marking, its
publisher and the reader's organisation; never filter these tables by hand elsewhere.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Tlp(models.TextChoices):
    """Traffic Light Protocol 2.0 (FIRST). Values are the engine's `Tlp` codes."""

    CLEAR = "clear", _("TLP:CLEAR")
    GREEN = "green", _("TLP:GREEN")
    AMBER = "amber", _("TLP:AMBER")
    AMBER_STRICT = "amber+strict", _("TLP:AMBER+STRICT")
    RED = "red", _("TLP:RED")


# Least to most restrictive: an indicator known under several markings is as shareable as its
# least restrictive source makes it (the value itself is then known at that level).
TLP_RANK = {tlp: rank for rank, tlp in enumerate(Tlp.values)}


class IndicatorType(models.TextChoices):
    """The indicator types of INTERFACES.md; values are the engine's `IndicatorType` codes."""

    DOMAIN = "domain", _("Domain")
    IPV4 = "ipv4", _("IPv4 address")
    IPV6 = "ipv6", _("IPv6 address")
    CIDR = "cidr", _("Network (CIDR)")
    URL = "url", _("URL")
    MD5 = "md5", _("MD5 hash")
    SHA1 = "sha1", _("SHA-1 hash")
    SHA256 = "sha256", _("SHA-256 hash")
    EMAIL = "email", _("E-mail address")


class IndicatorImport(models.Model):
    """One file of indicators read into one organisation's collection, and what it gave."""

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="indicator_imports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=300)
    file_format = models.CharField(max_length=16)  # csv | plain | stix | misp
    source = models.CharField(max_length=200)
    default_tlp = models.CharField(max_length=16, choices=Tlp.choices)
    # created / updated / unchanged / records / objects_read / problems / kept_patterns / flagged
    counts = models.JSONField(default=dict)
    # The first problems as codes with parameters (the platform renders them in each language).
    problems = models.JSONField(default=list)
    kept_patterns = models.JSONField(default=list)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.file_name} → {self.organisation_id}"


class Indicator(models.Model):
    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="indicators"
    )
    # The publisher's community: its support centre (itself for a centre). Stored so that
    # GREEN and AMBER visibility is one indexed comparison (intel.visibility).
    community = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    type = models.CharField(_("type"), max_length=8, choices=IndicatorType.choices)
    value = models.CharField(_("value"), max_length=2000)
    tlp = models.CharField(_("TLP"), max_length=16, choices=Tlp.choices)
    # RED reaches named people only.
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    tags = models.JSONField(default=list, blank=True)
    confidence = models.PositiveSmallIntegerField(null=True, blank=True)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)
    # Warning lists that name the value ([{"list", "description", "matching", "category"}]);
    # a false-positive list suppresses it from blocklists and matching, with the reason shown.
    warnings = models.JSONField(default=list, blank=True)
    suppressed = models.BooleanField(default=False)
    # When the row last changed: the STIX `modified` and the TAXII `date_added` of its version.
    updated_at = models.DateTimeField(auto_now=True)
    # The STIX id served over TAXII (`indicator--<stix_id>`): random, so ids never collide
    # between deployments, and stored, so `match[id]` is an indexed lookup.
    stix_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    # Not a column: the indicator list sets it for its page (visibility.sighting_counts).
    community_sightings: dict[str, Any] | None

    class Meta:
        ordering = ["type", "value", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "type", "value"], name="indicator_unique_per_publisher"
            )
        ]
        indexes = [
            models.Index(fields=["value"], name="indicator_value_idx"),
            models.Index(fields=["tlp", "community"], name="indicator_tlp_community_idx"),
            models.Index(fields=["organisation", "-last_seen", "id"], name="indicator_recent_idx"),
            # TAXII pages walk (updated_at, id) from a cursor: keyset pagination, no OFFSET.
            models.Index(fields=["updated_at", "id"], name="indicator_added_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type}:{self.value}"


class IndicatorSource(models.Model):
    """One source's statement of an indicator: where it came from, under which marking."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="sources")
    source = models.CharField(max_length=200)
    external_id = models.CharField(max_length=200, blank=True)  # STIX / MISP id, CSV id
    tlp = models.CharField(max_length=16, choices=Tlp.choices)
    name = models.CharField(max_length=500, blank=True)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    last_import = models.ForeignKey(
        IndicatorImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["source", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "source", "external_id"], name="indicator_source_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} → {self.indicator_id}"


class LogType(models.TextChoices):
    """Where a sighting was seen: the log (Zeek, Suricata, a proxy's...) that named the value."""

    DNS = "dns", _("DNS queries")
    HTTP = "http", _("Web traffic (HTTP)")
    TLS = "tls", _("TLS connections")
    CONN = "conn", _("Network connections")
    FILES = "files", _("Files")
    SMTP = "smtp", _("E-mail")
    PROXY = "proxy", _("Proxy")
    FIREWALL = "firewall", _("Firewall")
    IDS = "ids", _("Intrusion detection alert")
    ENDPOINT = "endpoint", _("Endpoint (EDR, antivirus)")
    OTHER = "other", _("Other")


class SightingState(models.TextChoices):
    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLOSED = "closed", _("Closed")


class Sighting(models.Model):
    """An organisation saw an indicator value in its own logs: one row per value and log type.

    Reports of the same value in the same log add to the count and widen first/last seen. The
    reporting organisation and its support centre read it in full (intel/visibility.py); other
    establishments only learn how many establishments saw a value, never which ones, because
    a sighting is AMBER+STRICT by default: it says the establishment is compromised.
    """

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="sightings"
    )
    # The row the reporter could see when it reported (the value may come from several).
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="sightings")
    type = models.CharField(_("type"), max_length=8, choices=IndicatorType.choices)
    value = models.CharField(_("value"), max_length=2000)
    log_type = models.CharField(_("log type"), max_length=16, choices=LogType.choices)
    count = models.PositiveBigIntegerField(_("count"))
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"))
    tlp = models.CharField(_("TLP"), max_length=16, choices=Tlp.choices, default=Tlp.AMBER_STRICT)
    source = models.CharField(max_length=16, default="api")  # api | sensor
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reports = models.PositiveIntegerField(default=1)
    state = models.CharField(
        _("state"), max_length=16, choices=SightingState.choices, default=SightingState.NEW
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-last_seen", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "type", "value", "log_type"], name="sighting_once_per_log"
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "-last_seen"], name="sighting_org_seen_idx"),
            models.Index(fields=["type", "value"], name="sighting_value_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type}:{self.value} ({self.log_type})"


class SightingReport(models.Model):
    """One report sent with an `Idempotency-Key`: a retry with the same key is answered from here.

    The key is the reporting organisation's: two establishments may use the same one. The row
    is written in the transaction that adds the report to its sighting, so a report is never
    counted without its key, nor its key kept without the report. The fingerprint (sha256 of
    the normalised report) tells a retry from a different report sent under a reused key.
    """

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="sighting_reports"
    )
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)
    sighting = models.ForeignKey(Sighting, on_delete=models.CASCADE, related_name="keyed_reports")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="sighting_report_key_once")
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}:{self.key}"


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Audience(models.TextChoices):
    ALL = "all", _("All establishments")
    REGION = "region", _("The establishments of a region")
    NAMED = "named", _("Named establishments")
    AFFECTED = "affected", _("The establishments whose inventory is affected")


class Advisory(models.Model):
    """A support centre's bulletin; its text lives in versions, every one kept.

    Who reads it is decided in `intel.visibility.visible_advisories`: the centre that writes
    it, and once published the establishments holding a receipt, within its TLP marking (RED:
    the people named; AMBER+STRICT: the centre only, so nobody receives it).
    """

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="advisories"
    )
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    current = models.ForeignKey(
        "AdvisoryVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    audience = models.CharField(
        _("audience"), max_length=16, choices=Audience.choices, default=Audience.ALL
    )
    regions = models.JSONField(_("regions"), default=list, blank=True)
    establishments = models.ManyToManyField(
        "tenancy.Organisation", blank=True, related_name="+", verbose_name=_("establishments")
    )
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("people (TLP:RED)")
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_version = models.PositiveIntegerField(default=0)
    # The marking of the published version: what readers' rights are checked against (a
    # draft revision in progress never changes who reads the published one).
    published_tlp = models.CharField(max_length=16, choices=Tlp.choices, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.reference


class AdvisoryVersion(models.Model):
    advisory = models.ForeignKey(Advisory, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"))
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    tlp = models.CharField(_("TLP"), max_length=16, choices=Tlp.choices)
    cves = models.JSONField(_("CVEs"), default=list, blank=True)
    products = models.TextField(_("affected products"), blank=True)
    indicators = models.TextField(_("indicators"), blank=True)
    actions = models.TextField(_("recommended actions"))
    references = models.JSONField(_("references"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["advisory", "number"], name="advisory_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.advisory_id} v{self.number}"


class AdvisoryReceipt(models.Model):
    """One establishment received an advisory: when, which version, who read and acknowledged."""

    advisory = models.ForeignKey(Advisory, on_delete=models.CASCADE, related_name="receipts")
    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="advisory_receipts"
    )
    version = models.PositiveIntegerField()
    delivered_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["advisory", "organisation"], name="advisory_receipt_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.advisory_id} → {self.organisation_id}"

"""Each establishment's inventory: IT, software and biomedical devices, with their identifiers."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vigie.engines.records import AssetRecord
from vigie.vulns.liveness import ProcessStamp


class AssetKind(models.TextChoices):
    SERVER = "server", _("Server")
    WORKSTATION = "workstation", _("Workstation")
    NETWORK = "network", _("Network device")
    MEDICAL_DEVICE = "medical-device", _("Medical device")
    APPLICATION = "application", _("Application")
    OS = "os", _("Operating system")
    FIRMWARE = "firmware", _("Firmware")
    HARDWARE = "hardware", _("Hardware")
    LIBRARY = "library", _("Library")
    IOT = "iot", _("IoT / building")
    OTHER = "other", _("Other")


class Criticality(models.TextChoices):
    LIFE_SUSTAINING = "life-sustaining", _("Life-sustaining")
    CLINICAL = "clinical", _("Clinical")
    BUSINESS = "business", _("Business")
    SUPPORT = "support", _("Support")


class Exposure(models.TextChoices):
    INTERNET = "internet", _("Internet")
    VENDOR_REMOTE = "vendor-remote", _("Vendor remote access")
    INTERNAL = "internal", _("Internal network")
    ISOLATED = "isolated", _("Isolated")


class Source(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    CSV = "csv", _("CSV import")
    CYCLONEDX = "cyclonedx", _("CycloneDX SBOM")
    SPDX = "spdx", _("SPDX SBOM")
    API = "api", _("API")


class Asset(models.Model):
    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="assets"
    )
    external_id = models.CharField(
        _("identifier"),
        max_length=300,
        help_text=_("The inventory's own identifier (CSV id, CycloneDX bom-ref, SPDX SPDXID)."),
    )
    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(_("kind"), max_length=20, choices=AssetKind.choices, default="other")
    vendor = models.CharField(_("vendor"), max_length=200, blank=True)
    product = models.CharField(_("product"), max_length=200, blank=True)
    version = models.CharField(_("version"), max_length=100, blank=True)
    cpes = models.JSONField(_("CPE names"), default=list, blank=True)
    purls = models.JSONField(_("package URLs"), default=list, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("runs on / part of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
    )
    location = models.CharField(_("care unit / location"), max_length=200, blank=True)
    criticality = models.CharField(
        _("clinical criticality"), max_length=20, choices=Criticality.choices, blank=True
    )
    exposure = models.CharField(_("exposure"), max_length=20, choices=Exposure.choices, blank=True)
    owner = models.CharField(_("owner"), max_length=200, blank=True)
    end_of_support = models.DateField(_("end of support"), null=True, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    # Not a column: the inventory list sets it for its page's assets only
    # (inventory.asset_list.count_open_alerts).
    open_alerts: int

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"], name="asset_external_id_unique"
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "kind"]),
            models.Index(fields=["organisation", "criticality"]),
            models.Index(fields=["organisation", "location"]),
            # The list's order (name, then id), so pages are read from the index in order.
            models.Index(fields=["organisation", "name", "id"], name="asset_list_order_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def to_record(self, parent_external_id: str | None = None) -> AssetRecord:
        return AssetRecord(
            id=str(self.pk),
            name=self.name,
            kind=self.kind,
            vendor=self.vendor,
            product=self.product,
            version=self.version,
            cpes=tuple(self.cpes or ()),
            purls=tuple(self.purls or ()),
            parent=str(self.parent_id) if self.parent_id else None,
            criticality=self.criticality or None,
            exposure=self.exposure or None,
            location=self.location,
        )


class AssetKey(models.Model):
    """The index of all inventories: which assets carry which vendor/product/package.

    A new vulnerability is matched by looking up its keys here (an indexed query) and then
    evaluating only the candidate assets, never by rescanning every inventory.
    """

    class Kind(models.TextChoices):
        CPE = "cpe", _("CPE vendor:product")
        CPE_VENDOR = "cpe_vendor", _("CPE vendor")
        VENDOR = "vendor", _("normalised vendor name")
        PURL = "purl", _("package type/namespace/name")

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="keys")
    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    key = models.CharField(max_length=300)

    class Meta:
        indexes = [models.Index(fields=["kind", "key"])]
        constraints = [
            models.UniqueConstraint(fields=["asset", "kind", "key"], name="asset_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


class InventoryImport(ProcessStamp):
    """One uploaded inventory file: parsed into a preview, then committed all at once (or not).

    Committing writes the assets and what matching they are owed (vulns.PendingMatch) in one
    transaction, with the task that matches them; the process stamp says which process runs
    that matching now, and `match_done` / `match_total` how far it went (vulnerabilities).
    """

    class State(models.TextChoices):
        PREVIEW = "preview", _("Waiting for confirmation")
        INVALID = "invalid", _("Refused: errors in the file")
        COMMITTED = "committed", _("Imported")
        DISCARDED = "discarded", _("Discarded")

    class MatchState(models.TextChoices):
        NONE = "", _("Not matched")
        QUEUED = "queued", _("Matching queued")
        RUNNING = "running", _("Matching in progress")
        DONE = "done", _("Matched")
        INTERRUPTED = "interrupted", _("Matching interrupted, to be resumed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="inventory_imports"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=16, blank=True)
    file_sha256 = models.CharField(max_length=64)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PREVIEW)
    # The parsed records (AssetRecord fields) kept until the person confirms.
    records = models.JSONField(default=list)
    errors = models.JSONField(default=list)
    warnings = models.JSONField(default=list)
    summary = models.JSONField(default=dict)  # new / updated / unchanged counts
    created_at = models.DateTimeField(auto_now_add=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    match_state = models.CharField(
        max_length=12, choices=MatchState.choices, default=MatchState.NONE, blank=True
    )
    match_done = models.PositiveIntegerField(default=0)
    match_total = models.PositiveIntegerField(default=0)
    match_counts = models.JSONField(default=dict, blank=True)  # alerts created / updated / closed
    matched_at = models.DateTimeField(null=True, blank=True)

    # Not a column: the imports list sets it for its page (inventory.import_list.counts).
    counts: dict[str, int | None]

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["match_state"]),
            models.Index(fields=["organisation", "-created_at"], name="import_recent_idx"),
        ]

    @property
    def matching(self) -> bool:
        return self.match_state in (
            self.MatchState.QUEUED,
            self.MatchState.RUNNING,
            self.MatchState.INTERRUPTED,
        )

    @property
    def match_percent(self) -> int:
        if not self.match_total:
            return 0
        return min(100, self.match_done * 100 // self.match_total)

    def __str__(self) -> str:
        return f"{self.file_name} ({self.state})"

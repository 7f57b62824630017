"""A readiness snapshot per establishment and day: the trend's points."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReadinessSnapshot(models.Model):
    """The scores of one establishment as computed on `taken_on` (its last computation that
    day: the daily job and the demo update the day's row, never add a second one).

    `pillars` maps each pillar code to {"score": int, "reasons": [reason JSON]}, the reasons
    as `vigie.engines.readiness.overall.reason_to_json` writes them (codes and parameters,
    dates as ISO strings): a page reads them in its reader's language."""

    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="readiness_snapshots"
    )
    taken_on = models.DateField(_("date"))
    taken_at = models.DateTimeField(_("computed at"))
    overall = models.PositiveSmallIntegerField(_("overall score"))
    pillars = models.JSONField(default=dict)

    class Meta:
        ordering = ["organisation", "taken_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "taken_on"], name="readiness_snapshot_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.taken_on.isoformat()} {self.overall}"

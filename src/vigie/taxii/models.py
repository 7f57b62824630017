"""Status resources of TAXII object submissions (TAXII 2.1, section 4.3)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class SubmissionStatus(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        "tenancy.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    collection = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)
    # The import that stored the submission's indicators (none when nothing could be read).
    indicator_import = models.ForeignKey(
        "intel.IndicatorImport", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    total_count = models.PositiveIntegerField(default=0)
    # [{"id", "version", "message"?}] per TAXII's status details.
    successes = models.JSONField(default=list)
    failures = models.JSONField(default=list)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "user", "-created_at"])]

    def __str__(self) -> str:
        return str(self.id)

"""Demo readiness: the last twelve weeks of snapshots of every demo establishment, plus today's.

Each past point is computed by the registered pillars as of that day (rows created later do
not count), the same computation as the daily job's: the trend shows what the demo data
says, never invented numbers. Run after every other loader (order 90); a second run the same
day updates the same rows.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from vigie.core.demo import DemoReport, register_loader
from vigie.core.demo.organisations import ESTABLISHMENTS
from vigie.readiness.scores import TREND_WEEKS, record_snapshot
from vigie.tenancy.models import Organisation


@register_loader(90, "readiness")
def load(report: DemoReport) -> None:
    now = timezone.now()
    slugs = [str(item["slug"]) for item in ESTABLISHMENTS]
    organisations = list(Organisation.objects.filter(slug__in=slugs).order_by("slug"))
    for organisation in organisations:
        for weeks in range(TREND_WEEKS, 0, -1):
            record_snapshot(organisation, now - timedelta(weeks=weeks))
        record_snapshot(organisation, now)
    report.notes.append(
        f"Readiness: {TREND_WEEKS + 1} snapshots for each of {len(organisations)} establishments."
    )

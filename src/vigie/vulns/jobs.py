"""Periodic jobs of the vulnerability feeds and alerts (registered on import)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django_tasks import task

from vigie.core import scheduling
from vigie.vulns.alerting import escalate_overdue, send_daily_digests
from vigie.vulns.pending import resume_pending
from vigie.vulns.refresh import refresh_configured_feeds


@task()
def refresh_feeds() -> dict[str, Any]:
    return refresh_configured_feeds(triggered_by="schedule")


@task()
def resume_matching() -> dict[str, Any]:
    """Matching that interrupted runs, dead tasks or dead requests left owed (vulns/pending.py)."""
    return resume_pending(triggered_by="schedule").describe()


@task()
def escalate_alerts() -> int:
    return escalate_overdue()


@task()
def daily_digests() -> int:
    return send_daily_digests()


scheduling.register(
    scheduling.PeriodicJob(
        name="refresh-feeds",
        task=refresh_feeds,
        every=timedelta(minutes=settings.VIGIE_FEED_REFRESH_MINUTES),
        enabled=lambda: bool(
            settings.VIGIE_FEED_URLS
            or settings.VIGIE_NVD_API_URL
            or settings.VIGIE_CSAF_ROLIE_URLS
            or settings.VIGIE_CSAF_DIRECTORY_URLS
        ),
    )
)
scheduling.register(
    scheduling.PeriodicJob(name="escalate-alerts", task=escalate_alerts, every=timedelta(minutes=1))
)
# Every minute, and so at each worker's start (its first slot): a run that died is resumed within
# a minute of a worker noticing, and nothing owed waits for an operator.
scheduling.register(
    scheduling.PeriodicJob(name="resume-matching", task=resume_matching, every=timedelta(minutes=1))
)
# 05:30 UTC: in French inboxes before the morning round.
scheduling.register(
    scheduling.PeriodicJob(
        name="daily-digest",
        task=daily_digests,
        every=timedelta(days=1),
        offset=timedelta(hours=5, minutes=30),
    )
)

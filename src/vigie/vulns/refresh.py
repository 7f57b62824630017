"""Refreshing the configured feeds: what the periodic job and `vigie vulns refresh` run.

Sources come from settings (environment variables, docs/operations.md):
* VIGIE_FEED_URLS: files fetched and imported whole each time (KEV, EU KEV, EPSS, CSAF files...);
* VIGIE_NVD_API_URL (+ VIGIE_NVD_API_KEY): NVD CVE API 2.0, incrementally by lastModified;
* VIGIE_CSAF_ROLIE_URLS / VIGIE_CSAF_DIRECTORY_URLS: CSAF providers, only new or changed
  advisories downloaded (watermarks kept under VIGIE_HOME/feeds/csaf).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from vigie.engines.feeds import CsafFetcher, FeedContent, FeedError, HttpClient, NvdApiClient
from vigie.engines.offline import load_feed_paths
from vigie.engines.records import InputError, VulnRecord
from vigie.vulns.feed_import import _finish, import_sources, safe_location, store_and_match
from vigie.vulns.models import FeedRun

logger = logging.getLogger(__name__)
Log = Callable[[str], Any]
NVD_BATCH = 2000


def refresh_configured_feeds(
    *, triggered_by: str = "schedule", log: Log | None = None, client: HttpClient | None = None
) -> dict[str, Any]:
    client = client or HttpClient(timeout=settings.VIGIE_FEED_TIMEOUT_SECONDS)
    summary: dict[str, Any] = {}
    if settings.VIGIE_FEED_URLS:
        summary["files"] = import_sources(
            settings.VIGIE_FEED_URLS, triggered_by=triggered_by, log=log, client=client
        )
    if settings.VIGIE_NVD_API_URL:
        summary["nvd"] = refresh_nvd(triggered_by=triggered_by, client=client)
    for url in settings.VIGIE_CSAF_ROLIE_URLS:
        summary[f"csaf:{safe_location(url)}"] = refresh_csaf(
            url, rolie=True, triggered_by=triggered_by, client=client
        )
    for url in settings.VIGIE_CSAF_DIRECTORY_URLS:
        summary[f"csaf:{safe_location(url)}"] = refresh_csaf(
            url, rolie=False, triggered_by=triggered_by, client=client
        )
    if not summary:
        summary["note"] = (
            "no feed configured (VIGIE_FEED_URLS, VIGIE_NVD_API_URL, VIGIE_CSAF_*_URLS)"
        )
    return summary


def _last_watermark(source: str) -> datetime | None:
    run = (
        FeedRun.objects.filter(source=source, state__in=[FeedRun.State.OK, FeedRun.State.PARTIAL])
        .exclude(watermark="")
        .order_by("-started_at")
        .first()
    )
    return datetime.fromisoformat(run.watermark) if run else None


def refresh_nvd(
    *, triggered_by: str, client: HttpClient, now: datetime | None = None
) -> dict[str, Any]:
    """Records modified since the last successful run (or the last VIGIE_NVD_INITIAL_DAYS)."""
    end = now or timezone.now()
    start = _last_watermark("nvd-api") or end - timedelta(days=settings.VIGIE_NVD_INITIAL_DAYS)
    run = FeedRun.objects.create(
        source="nvd-api",
        location=safe_location(settings.VIGIE_NVD_API_URL),
        triggered_by=triggered_by,
    )
    api = NvdApiClient(
        base_url=settings.VIGIE_NVD_API_URL,
        api_key=settings.VIGIE_NVD_API_KEY or None,
        delay=settings.VIGIE_NVD_API_DELAY_SECONDS,
        http=client,
    )
    totals: dict[str, Any] = {"records": 0}
    warnings: list[str] = []
    batch: list[VulnRecord] = []

    def flush() -> None:
        if batch:
            counts = store_and_match(FeedContent(vulns=list(batch)))
            for key, value in counts.items():
                totals[key] = totals.get(key, 0) + value
            batch.clear()

    try:
        for item in api.iter_records(start, end):
            if isinstance(item, InputError):
                warnings.append(str(item))
                continue
            totals["records"] += 1
            batch.append(item)
            if len(batch) >= NVD_BATCH:
                flush()
        flush()
    except FeedError as error:
        # What was stored stays stored; the watermark does not move, so the next run retries.
        _finish(run, FeedRun.State.FAILED, totals, [*warnings[:100], str(error)])
        logger.warning("NVD refresh failed: %s", error)
        return {"state": run.state, "error": str(error), **totals}
    run.watermark = end.isoformat()
    run.save(update_fields=["watermark"])
    _finish(run, FeedRun.State.PARTIAL if warnings else FeedRun.State.OK, totals, warnings[:200])
    return {"state": run.state, "since": start.isoformat(), **totals}


def refresh_csaf(url: str, *, rolie: bool, triggered_by: str, client: HttpClient) -> dict[str, Any]:
    host_dir = hashlib.sha256(url.encode()).hexdigest()[:16]
    dest = Path(settings.VIGIE_HOME) / "feeds" / "csaf" / host_dir
    run = FeedRun.objects.create(
        source="csaf-rolie" if rolie else "csaf-directory",
        location=safe_location(url),
        triggered_by=triggered_by,
    )
    fetcher = CsafFetcher(dest, http=client)
    try:
        fetched = fetcher.fetch_rolie(url) if rolie else fetcher.fetch_directory(url)
    except FeedError as error:
        _finish(run, FeedRun.State.FAILED, {}, [str(error)])
        return {"state": run.state, "error": str(error)}
    counts: dict[str, Any] = {
        "downloaded": len(fetched.downloaded),
        "unchanged": fetched.unchanged,
        "failed": len(fetched.failed),
    }
    warnings = [*fetched.problems, *(str(f) for f in fetched.failed)]
    if fetched.downloaded:
        content, fatal = load_feed_paths(fetched.downloaded)
        warnings.extend(str(e) for e in [*fatal, *content.errors])
        counts.update(store_and_match(content))
    if fetched.watermark is not None:
        run.watermark = fetched.watermark.isoformat()
        run.save(update_fields=["watermark"])
    _finish(run, FeedRun.State.PARTIAL if warnings else FeedRun.State.OK, counts, warnings[:200])
    return {"state": run.state, **counts}

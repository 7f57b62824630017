"""Refreshing the configured feeds: what the periodic job and `vigie vulns refresh` run.

Sources come from settings (environment variables, docs/operations.md):
* VIGIE_FEED_URLS: files fetched and imported whole each time (KEV, EU KEV, EPSS, CSAF files...);
* VIGIE_NVD_API_URL (+ VIGIE_NVD_API_KEY): NVD CVE API 2.0, incrementally by lastModified;
* VIGIE_CSAF_ROLIE_URLS / VIGIE_CSAF_DIRECTORY_URLS: CSAF providers, only new or changed
  advisories downloaded (watermarks kept under VIGIE_HOME/feeds/csaf).

Cursors (the NVD API watermark, the CSAF state) move only once every record they cover is
stored and matched: a refresh killed half-way reads the same records again next time, and
what it had stored is matched by the resumer meanwhile.
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
from vigie.vulns.feed_import import (
    import_sources,
    owes,
    report_interrupted,
    report_resumed,
    safe_location,
    store_and_match,
)
from vigie.vulns.models import FeedRun
from vigie.vulns.pending import resume_pending
from vigie.vulns.runs import RunBeat, failing_on_error, finish_run, reconcile_runs, start_run

logger = logging.getLogger(__name__)
Log = Callable[[str], Any]
NVD_BATCH = 2000


def refresh_configured_feeds(
    *, triggered_by: str = "schedule", log: Log | None = None, client: HttpClient | None = None
) -> dict[str, Any]:
    client = client or HttpClient(timeout=settings.VIGIE_FEED_TIMEOUT_SECONDS)
    summary: dict[str, Any] = {}
    interrupted = report_interrupted(reconcile_runs(), log)
    if settings.VIGIE_FEED_URLS:
        summary["files"] = import_sources(
            settings.VIGIE_FEED_URLS,
            triggered_by=triggered_by,
            log=log,
            client=client,
            resume=False,
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
    resumed = resume_pending(triggered_by=triggered_by)
    summary["interrupted"] = interrupted + report_interrupted(resumed.interrupted, log)
    summary["resumed"] = report_resumed(resumed, log)
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
    run = start_run(
        source="nvd-api",
        location=safe_location(settings.VIGIE_NVD_API_URL),
        triggered_by=triggered_by,
    )
    beat = RunBeat(run)
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
            counts = store_and_match(FeedContent(vulns=list(batch)), run=run)
            for key, value in counts.items():
                totals[key] = totals.get(key, 0) + value
            batch.clear()

    with failing_on_error(run, totals):
        try:
            for item in api.iter_records(start, end):
                beat()
                if isinstance(item, InputError):
                    warnings.append(str(item))
                    continue
                totals["records"] += 1
                batch.append(item)
                if len(batch) >= NVD_BATCH:
                    flush()
            flush()
        except FeedError as error:
            # What was stored stays stored (and owed to the resumer if not matched yet); the
            # watermark does not move, so the next run reads the same records again.
            finish_run(run, FeedRun.State.FAILED, totals, [*warnings[:100], str(error)])
            logger.warning("NVD refresh failed: %s", error)
            return {"state": run.state, "error": str(error), **totals}
    if owes(run):
        # Some matching could not complete (its data kept changing): the resumer finishes it,
        # and the watermark waits for the next run.
        warnings.append("matching incomplete: resumed later; the watermark did not move")
        finish_run(run, FeedRun.State.PARTIAL, totals, warnings[:200])
    else:
        finish_run(
            run,
            FeedRun.State.PARTIAL if warnings else FeedRun.State.OK,
            totals,
            warnings[:200],
            watermark=end.isoformat(),
        )
    return {"state": run.state, "since": start.isoformat(), **totals}


def refresh_csaf(url: str, *, rolie: bool, triggered_by: str, client: HttpClient) -> dict[str, Any]:
    host_dir = hashlib.sha256(url.encode()).hexdigest()[:16]
    dest = Path(settings.VIGIE_HOME) / "feeds" / "csaf" / host_dir
    run = start_run(
        source="csaf-rolie" if rolie else "csaf-directory",
        location=safe_location(url),
        triggered_by=triggered_by,
    )
    beat = RunBeat(run)
    # The fetcher's cursor is committed below, once what it downloaded is matched.
    fetcher = CsafFetcher(dest, http=client, save_state=False)
    counts: dict[str, Any] = {}
    with failing_on_error(run, counts):
        try:
            fetched = fetcher.fetch_rolie(url) if rolie else fetcher.fetch_directory(url)
        except FeedError as error:
            finish_run(run, FeedRun.State.FAILED, {}, [str(error)])
            return {"state": run.state, "error": str(error)}
        counts.update(
            downloaded=len(fetched.downloaded),
            unchanged=fetched.unchanged,
            failed=len(fetched.failed),
        )
        warnings = [*fetched.problems, *(str(f) for f in fetched.failed)]
        if fetched.downloaded:
            content, fatal = load_feed_paths(fetched.downloaded, beat)
            warnings.extend(str(e) for e in [*fatal, *content.errors])
            counts.update(store_and_match(content, run=run))
    if owes(run):
        warnings.append("matching incomplete: resumed later; the cursor did not move")
        finish_run(run, FeedRun.State.PARTIAL, counts, warnings[:200])
        return {"state": run.state, **counts}
    fetcher.commit_state(fetched)
    finish_run(
        run,
        FeedRun.State.PARTIAL if warnings else FeedRun.State.OK,
        counts,
        warnings[:200],
        watermark=fetched.watermark.isoformat() if fetched.watermark is not None else None,
    )
    return {"state": run.state, **counts}

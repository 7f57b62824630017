"""Importing feeds into the platform (files, directories or URLs), then matching what changed."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.utils import timezone

from vigie.engines.feeds import FeedContent, FeedError, HttpClient
from vigie.engines.offline import load_feed_paths
from vigie.engines.prioritise.ssvc import DEFAULT_EPSS_THRESHOLD
from vigie.vulns.matching import match_vulnerabilities, reprioritise
from vigie.vulns.models import FeedRun
from vigie.vulns.store import store_epss, store_kev, store_records, store_vex

logger = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]
Log = Callable[[str], Any]


def safe_location(location: str) -> str:
    """A URL without credentials or query string (API keys must not reach the database)."""
    parts = urlsplit(location)
    if parts.scheme not in ("http", "https"):
        return location[:500]
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))[:500]


def download(url: str, client: HttpClient | None = None) -> Path:
    """Fetch a feed file into VIGIE_HOME/feeds/downloads (named after the URL), atomically."""
    client = client or HttpClient(timeout=60)
    response = client.get(url)
    folder = Path(settings.VIGIE_HOME) / "feeds" / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(url.encode()).hexdigest()[:16]
    suffix = ".gz" if response.body[:2] == b"\x1f\x8b" else ""
    target = folder / f"{name}{suffix}"
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(response.body)
    partial.replace(target)
    return target


def store_and_match(
    content: FeedContent, *, match: bool = True, progress: Progress | None = None
) -> dict[str, Any]:
    """Store everything a feed brought, then re-evaluate only what it changed."""
    records = store_records(content.vulns)
    kev_changed = store_kev(content.kev) if content.kev else set()
    epss_crossed = store_epss(content.epss, DEFAULT_EPSS_THRESHOLD) if content.epss else set()
    vex_vulns = store_vex(content.vex) if content.vex else set()
    summary: dict[str, Any] = {
        "records_created": records.created,
        "records_updated": records.updated,
        "records_unchanged": records.unchanged,
        "rejected": len(records.rejected),
        "kev_entries": len(content.kev),
        "kev_changed": len(kev_changed),
        "epss_scores": len(content.epss),
        "vex_statements": len(content.vex),
    }
    if match:
        rematch = records.changed | vex_vulns
        counts = match_vulnerabilities(rematch, progress=progress)
        exploitation = reprioritise((kev_changed | epss_crossed) - rematch)
        summary.update(
            alerts_created=counts.alerts_created + exploitation.alerts_created,
            alerts_updated=counts.alerts_updated + exploitation.alerts_updated,
            alerts_closed=counts.alerts_closed + exploitation.alerts_closed,
        )
    return summary


def import_sources(
    sources: Iterable[str],
    *,
    triggered_by: str,
    match: bool = True,
    progress: Progress | None = None,
    log: Log | None = None,
    client: HttpClient | None = None,
) -> dict[str, Any]:
    """Import each source in turn; a failing source is recorded and the others still run."""
    results: list[dict[str, Any]] = []
    fatal: list[str] = []
    for source in sources:
        run = FeedRun.objects.create(
            source="url" if source.startswith(("http://", "https://")) else "file",
            location=safe_location(source),
            triggered_by=triggered_by,
        )
        try:
            path = download(source, client) if run.source == "url" else Path(source)
        except FeedError as error:
            _finish(run, FeedRun.State.FAILED, {}, [str(error)])
            fatal.append(f"{safe_location(source)}: {error}")
            results.append({"source": run.location, "state": run.state, "error": str(error)})
            continue
        content, errors = load_feed_paths([path], progress)
        if errors:
            messages = [str(e) for e in errors[:50]]
            _finish(run, FeedRun.State.FAILED, {}, messages)
            fatal.extend(messages[:5])
            results.append({"source": run.location, "state": run.state, "errors": messages[:5]})
            continue
        summary = store_and_match(content, match=match, progress=progress)
        warnings = [str(e) for e in content.errors[:200]]
        state = FeedRun.State.PARTIAL if warnings else FeedRun.State.OK
        _finish(run, state, summary, warnings)
        if log is not None:
            log(f"{run.location}: {summary}")
        results.append(
            {"source": run.location, "state": state, **summary, "warnings": len(content.errors)}
        )
    return {"sources": results, "fatal": fatal}


def _finish(run: FeedRun, state: str, counts: dict[str, Any], errors: list[str]) -> None:
    run.state = state
    run.counts = counts
    run.errors = errors
    run.finished_at = timezone.now()
    run.save(update_fields=["state", "counts", "errors", "finished_at"])

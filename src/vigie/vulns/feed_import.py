"""Importing feeds into the platform (files, directories or URLs), then matching what changed.

Each source is a FeedRun. Its records are stored in batches, each batch owing (in its own
transaction) the matching of what it changed to the run; then the run drains what it owes
(vulns/pending.py). A run killed at any point leaves that debt behind, and the next import,
refresh, `rematch` or the `resume-matching` job pays it: nothing stored stays unmatched.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

from vigie.engines.feeds import FeedContent, FeedError, HttpClient
from vigie.engines.offline import load_feed_paths
from vigie.engines.prioritise.ssvc import DEFAULT_EPSS_THRESHOLD
from vigie.vulns.freshness import loaded_counts
from vigie.vulns.models import FeedRun, PendingMatch
from vigie.vulns.pending import Resumed, drain, resume_pending
from vigie.vulns.runs import (
    Interrupted,
    RunBeat,
    failing_on_error,
    finish_run,
    reconcile_runs,
    start_run,
)
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


def owes(run: FeedRun) -> bool:
    """Whether matching the run owes is still undone (then its cursor must not move)."""
    return PendingMatch.objects.filter(feed_run=run).exists()


def store_and_match(
    content: FeedContent,
    *,
    match: bool = True,
    progress: Progress | None = None,
    run: FeedRun | None = None,
) -> dict[str, Any]:
    """Store everything a feed brought, then match what it changed (owed to `run`).

    Without a run (code and tests calling it directly), a run of its own records it. With
    `match=False` the matching stays owed: the `resume-matching` job does it once the run ends.
    """
    own = run is None
    if run is None:
        run = start_run(source="feed", location="(in-process)", triggered_by="code")
    beat = RunBeat(run, progress)
    with failing_on_error(run) if own else nullcontext():
        records = store_records(content.vulns, run=run, beat=beat)
        kev_changed = store_kev(content.kev, run=run) if content.kev else set()
        epss_crossed = (
            store_epss(content.epss, DEFAULT_EPSS_THRESHOLD, run=run) if content.epss else set()
        )
        vex_vulns = store_vex(content.vex, run=run) if content.vex else set()
        summary: dict[str, Any] = {
            "records_created": records.created,
            "records_updated": records.updated,
            "records_unchanged": records.unchanged,
            "rejected": len(records.rejected),
            "kev_entries": len(content.kev),
            "kev_changed": len(kev_changed),
            "epss_scores": len(content.epss),
            "epss_crossed": len(epss_crossed),
            "vex_statements": len(content.vex),
            "vex_vulnerabilities": len(vex_vulns),
            # Which sources the run refreshed (the feeds page's freshness table).
            **loaded_counts(content),
        }
        if match:
            counts = drain(PendingMatch.objects.filter(feed_run=run), progress=beat)
            summary.update(
                alerts_created=counts.alerts_created,
                alerts_updated=counts.alerts_updated,
                alerts_closed=counts.alerts_closed,
            )
    if own:
        finish_run(run, FeedRun.State.OK, summary, [])
    return summary


def report_interrupted(found: Iterable[Interrupted], log: Log | None) -> list[dict[str, Any]]:
    described = []
    for item in found:
        described.append(item.describe())
        if log is not None:
            log(
                f"run #{item.run.pk} ({item.run.source} {item.run.location}, started "
                f"{item.run.started_at.isoformat(timespec='seconds')}) was interrupted: "
                f"{item.reason}; the matching it owed is resumed now"
            )
    return described


def report_resumed(resumed: Resumed, log: Log | None) -> dict[str, Any]:
    if log is not None and (resumed.owed or resumed.imports):
        log(
            f"resumed {resumed.owed} owed matches and {resumed.imports} inventory import(s): "
            f"{resumed.counts.alerts_created} alerts created, "
            f"{resumed.counts.alerts_updated} updated, {resumed.counts.alerts_closed} closed"
        )
    return resumed.describe()


def import_sources(
    sources: Iterable[str],
    *,
    triggered_by: str,
    match: bool = True,
    progress: Progress | None = None,
    log: Log | None = None,
    client: HttpClient | None = None,
    resume: bool = True,
) -> dict[str, Any]:
    """Import each source in turn; a failing source is recorded and the others still run.

    Runs found interrupted are reported first; after the sources (so that records a killed
    run had not reached are stored before their vulnerabilities are evaluated), what they and
    anyone else gone owed is matched (unless `match` is off, or `resume` is: the caller then
    resumes itself).
    """
    interrupted = report_interrupted(reconcile_runs(), log)
    results: list[dict[str, Any]] = []
    fatal: list[str] = []
    for source in sources:
        run = start_run(
            source="url" if source.startswith(("http://", "https://")) else "file",
            location=safe_location(source),
            triggered_by=triggered_by,
        )
        beat = RunBeat(run, progress)
        with failing_on_error(run):
            try:
                path = download(source, client) if run.source == "url" else Path(source)
            except FeedError as error:
                finish_run(run, FeedRun.State.FAILED, {}, [str(error)])
                fatal.append(f"{safe_location(source)}: {error}")
                results.append({"source": run.location, "state": run.state, "error": str(error)})
                continue
            beat()
            content, errors = load_feed_paths([path], beat)
            if errors:
                messages = [str(e) for e in errors[:50]]
                finish_run(run, FeedRun.State.FAILED, {}, messages)
                fatal.extend(messages[:5])
                results.append({"source": run.location, "state": run.state, "errors": messages[:5]})
                continue
            summary = store_and_match(content, match=match, progress=progress, run=run)
        warnings = [str(e) for e in content.errors[:200]]
        state = FeedRun.State.PARTIAL if warnings else FeedRun.State.OK
        finish_run(run, state, summary, warnings)
        if log is not None:
            log(f"{run.location}: {summary}")
        results.append(
            {"source": run.location, "state": run.state, **summary, "warnings": len(content.errors)}
        )
    outcome: dict[str, Any] = {"sources": results, "fatal": fatal, "interrupted": interrupted}
    if match and resume:
        resumed = resume_pending(triggered_by=triggered_by, progress=progress)
        outcome["interrupted"] += report_interrupted(resumed.interrupted, log)
        outcome["resumed"] = report_resumed(resumed, log)
    return outcome

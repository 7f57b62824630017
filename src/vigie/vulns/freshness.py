"""How fresh each feed is: its last successful run, what it loaded, its last error, its age.

A "source" here is what the data is (NVD, CVE 5, CSAF of one publisher, CISA or EU KEV, EPSS,
VEX), not how it came: a KEV file loaded with `vigie vulns import` refreshes KEV just as the
scheduled download does. Runs say what they loaded in `loaded_*` counts (`loaded_counts`);
older runs, from before those counts, are read from their other counts.

A source is stale when its last successful run is older than its threshold (days, per source
kind, `VIGIE_FEED_STALE_DAYS`, docs/operations.md), or when a configured source never succeeded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vigie.engines.feeds import FeedContent
from vigie.vulns.models import FeedRun

DEFAULT_STALE_DAYS: dict[str, int] = {
    "nvd": 2,
    "cve5": 2,
    "kev": 2,
    "epss": 3,
    "csaf": 7,
    "vex": 7,
    "records": 7,
}
KIND_LABELS = {
    "nvd": _("NVD"),
    "cve5": _("CVE 5 records"),
    "csaf": _("CSAF advisories"),
    "kev:cisa": _("CISA KEV catalogue"),
    "kev:eu": _("EU KEV catalogue"),
    "kev": _("KEV catalogue"),
    "epss": _("EPSS scores"),
    "vex": _("VEX statements"),
    "records": _("Vulnerability records"),
}
SUCCESS = (FeedRun.State.OK, FeedRun.State.PARTIAL)
FAILURE = (FeedRun.State.FAILED, FeedRun.State.INTERRUPTED)
# Feed runs read for the table: far more than any installation's sources refresh in a threshold.
HISTORY = 2000


def loaded_counts(content: FeedContent) -> dict[str, int]:
    """What a feed content brings, per source kind (`loaded_nvd`, `loaded_kev_cisa`...)."""
    counts: dict[str, int] = {}

    def add(kind: str, number: int = 1) -> None:
        if number:
            key = "loaded_" + kind.replace(":", "_")
            counts[key] = counts.get(key, 0) + number

    for record in content.vulns:
        add("csaf" if record.source.startswith("csaf:") else record.source)
    for entry in content.kev:
        add(f"kev:{entry.catalogue}")
    add("epss", len(content.epss))
    add("vex", len(content.vex))
    return counts


def stale_days() -> dict[str, int]:
    """Thresholds per kind: the defaults, overridden by `VIGIE_FEED_STALE_DAYS=kev=1,csaf=14`."""
    days = dict(DEFAULT_STALE_DAYS)
    text = getattr(settings, "VIGIE_FEED_STALE_DAYS", "")
    for item in filter(None, (part.strip() for part in text.split(","))):
        kind, sep, value = item.partition("=")
        kind = kind.strip().lower()
        if not sep or kind not in DEFAULT_STALE_DAYS or not value.strip().isdigit():
            raise ImproperlyConfigured(
                f"VIGIE_FEED_STALE_DAYS: {item!r} is not KIND=DAYS with KIND one of "
                + ", ".join(DEFAULT_STALE_DAYS)
            )
        days[kind] = max(1, int(value))
    return days


def _publisher(location: str) -> str:
    return urlsplit(location).hostname or location


def run_kinds(run: FeedRun) -> dict[str, int]:
    """The sources one run refreshed, each with the number of items it loaded."""
    counts = run.counts or {}
    if run.source == "nvd-api":
        return {"nvd": int(counts.get("records", 0))}
    if run.source.startswith("csaf"):
        return {f"csaf:{_publisher(run.location)}": int(counts.get("downloaded", 0))}
    if run.source not in ("file", "url", "feed"):
        return {}  # matching-only runs (resume, rematch)
    loaded = {
        key.removeprefix("loaded_").replace("_", ":", 1): int(value)
        for key, value in counts.items()
        if key.startswith("loaded_")
    }
    if loaded:
        return loaded
    # Runs from before `loaded_*` counts, and failed runs (which loaded nothing): by what they
    # counted, or by nothing.
    records = sum(int(counts.get(k, 0)) for k in ("records_created", "records_updated"))
    records += int(counts.get("records_unchanged", 0))
    guessed = {
        "records": records,
        "kev": int(counts.get("kev_entries", 0)),
        "epss": int(counts.get("epss_scores", 0)),
        "vex": int(counts.get("vex_statements", 0)),
    }
    return {kind: number for kind, number in guessed.items() if number}


@dataclass
class SourceFreshness:
    key: str  # "nvd", "kev:cisa", "csaf:<publisher host>", ...
    last_success: FeedRun | None = None
    records: int = 0
    last_failure: FeedRun | None = None
    threshold_days: int = 0
    now: datetime = field(default_factory=timezone.now)

    @property
    def kind(self) -> str:
        return "csaf" if self.key.startswith("csaf") else self.key

    @property
    def label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def publisher(self) -> str:
        return self.key.split(":", 1)[1] if self.key.startswith("csaf:") else ""

    @property
    def succeeded_at(self) -> datetime | None:
        run = self.last_success
        return (run.finished_at or run.started_at) if run else None

    @property
    def age(self) -> timedelta | None:
        return self.now - self.succeeded_at if self.succeeded_at else None

    @property
    def age_days(self) -> int | None:
        return self.age.days if self.age is not None else None

    @property
    def age_hours(self) -> int | None:
        return int(self.age.total_seconds() // 3600) if self.age is not None else None

    @property
    def last_error(self) -> str:
        """The error of a failure since the last success (older ones were overcome)."""
        failure = self.last_failure
        if failure is None:
            return ""
        if self.last_success is not None and failure.started_at < self.last_success.started_at:
            return ""
        return failure.errors[-1] if failure.errors else str(failure.get_state_display())

    @property
    def state(self) -> str:
        """`stale`, `failing` (fresh, but its latest run failed) or `fresh`."""
        age = self.age
        if age is None or age > timedelta(days=self.threshold_days):
            return "stale"
        return "failing" if self.last_error else "fresh"

    @property
    def via_import(self) -> bool:
        return self.last_success is not None and self.last_success.triggered_by == "cli"


def _configured() -> list[str]:
    keys = ["nvd"] if settings.VIGIE_NVD_API_URL else []
    for url in [*settings.VIGIE_CSAF_ROLIE_URLS, *settings.VIGIE_CSAF_DIRECTORY_URLS]:
        keys.append(f"csaf:{_publisher(url)}")
    return keys


def source_freshness(
    now: datetime | None = None, runs: Iterable[FeedRun] | None = None
) -> list[SourceFreshness]:
    """One row per source ever loaded or configured, stale ones first, then by label."""
    now = now or timezone.now()
    days = stale_days()
    rows: dict[str, SourceFreshness] = {}

    def row(key: str) -> SourceFreshness:
        if key not in rows:
            kind = key.split(":", 1)[0] if key.startswith(("csaf", "kev")) else key
            rows[key] = SourceFreshness(key=key, threshold_days=days.get(kind, 7), now=now)
        return rows[key]

    for key in _configured():
        row(key)
    if runs is None:
        runs = FeedRun.objects.exclude(state=FeedRun.State.RUNNING).order_by("-started_at")[
            :HISTORY
        ]
    for run in runs:  # newest first: the first success and failure seen are the latest
        for key, number in run_kinds(run).items():
            item = row(key)
            if run.state in SUCCESS and item.last_success is None:
                item.last_success, item.records = run, number
            elif run.state in FAILURE and item.last_failure is None:
                item.last_failure = run
    order = {"stale": 0, "failing": 1, "fresh": 2}
    return sorted(rows.values(), key=lambda r: (order[r.state], r.label, r.publisher))


def stale_sources(now: datetime | None = None) -> list[SourceFreshness]:
    return [row for row in source_freshness(now) if row.state == "stale"]


def describe(row: SourceFreshness) -> dict[str, Any]:
    """For logs and JSON: the row without its runs."""
    return {
        "source": row.key,
        "state": row.state,
        "last_success": row.succeeded_at.isoformat() if row.succeeded_at else None,
        "records": row.records,
        "threshold_days": row.threshold_days,
        "last_error": row.last_error,
    }

"""How fresh each feed is: its last successful run, what it loaded, its last error, its age.

A "source" here is what the data is (NVD, CVE 5, CSAF of one publisher, CISA or EU KEV, EPSS,
VEX), not how it came: a KEV file loaded with `vigie vulns import` refreshes KEV just as the
scheduled download does. Runs say what they loaded in `loaded_*` counts (`loaded_counts`);
older runs, from before those counts, are read from their other counts.

A source is stale when its last successful run is older than its threshold (days, per source
kind, `VIGIE_FEED_STALE_DAYS`, docs/operations.md), or when a configured source never succeeded.
Only `ok` and `partial` runs are successes; a failed or interrupted run shows its errors on the
sources its place (source and location) brings when it works, until a success comes after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vigie.engines.feeds import FeedContent
from vigie.vulns.models import FeedRun

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
    "feed": _("Configured feed file"),
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
    """Thresholds per kind, in days: `VIGIE_FEED_STALE_DAYS` (checked when settings load)."""
    return dict(settings.VIGIE_FEED_STALE_DAYS)


def _publisher(location: str) -> str:
    return urlsplit(location).hostname or location


Place = tuple[str, str]  # (run source, location): where a run read


def _loaded(run: FeedRun) -> dict[str, int]:
    return {
        key.removeprefix("loaded_").replace("_", ":", 1): int(value)
        for key, value in (run.counts or {}).items()
        if key.startswith("loaded_")
    }


def _guessed(run: FeedRun) -> dict[str, int]:
    """Runs from before `loaded_*` counts: by what they counted."""
    counts = run.counts or {}
    records = sum(
        int(counts.get(k, 0)) for k in ("records_created", "records_updated", "records_unchanged")
    )
    guessed = {
        "records": records,
        "kev": int(counts.get("kev_entries", 0)),
        "epss": int(counts.get("epss_scores", 0)),
        "vex": int(counts.get("vex_statements", 0)),
    }
    return {kind: number for kind, number in guessed.items() if number}


def run_kinds(run: FeedRun, *, legacy: bool = True) -> dict[str, int]:
    """The sources one run refreshed, each with the number of items it loaded.

    A failed file or URL run loaded nothing, so says nothing here: `source_freshness` gives its
    failure to what its location brings when it works. `legacy=False` ignores the guesses made
    for runs from before `loaded_*` counts (their location has newer runs that say it exactly).
    """
    counts = run.counts or {}
    if run.source == "nvd-api":
        return {"nvd": int(counts.get("records", 0))}
    if run.source.startswith("csaf"):
        return {f"csaf:{_publisher(run.location)}": int(counts.get("downloaded", 0))}
    if run.source not in ("file", "url", "feed"):
        return {}  # matching-only runs (resume, rematch)
    loaded = _loaded(run)
    if loaded or not legacy:
        return loaded
    return _guessed(run)


@dataclass
class SourceFreshness:
    key: str  # "nvd", "kev:cisa", "csaf:<publisher host>", "feed:<location>"...
    last_success: FeedRun | None = None
    records: int = 0
    last_failure: FeedRun | None = None
    threshold_days: int = 0
    now: datetime = field(default_factory=timezone.now)

    @property
    def kind(self) -> str:
        return self.key.split(":", 1)[0] if self.key.startswith(("csaf:", "feed:")) else self.key

    @property
    def label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def detail(self) -> str:
        """The CSAF publisher, or the location of a configured feed that never worked."""
        return self.key.split(":", 1)[1] if self.key.startswith(("csaf:", "feed:")) else ""

    @property
    def succeeded_at(self) -> datetime | None:
        run = self.last_success
        return (run.finished_at or run.started_at) if run else None

    @property
    def age(self) -> timedelta | None:
        # Never negative: a clock a little ahead on the machine that ran the import.
        return max(timedelta(0), self.now - self.succeeded_at) if self.succeeded_at else None

    @property
    def age_days(self) -> int | None:
        return self.age.days if self.age is not None else None

    @property
    def age_hours(self) -> int | None:
        return int(self.age.total_seconds() // 3600) if self.age is not None else None

    @property
    def current_failure(self) -> FeedRun | None:
        """The latest failure, when no success came after it (older ones were overcome)."""
        failure = self.last_failure
        if failure is None:
            return None
        if self.last_success is not None and failure.started_at < self.last_success.started_at:
            return None
        return failure

    @property
    def errors(self) -> list[str]:
        """What the current failure reported, its last (fatal) error first."""
        failure = self.current_failure
        if failure is None:
            return []
        if not failure.errors:
            return [str(failure.get_state_display())]
        return [str(e) for e in reversed(failure.errors)]

    @property
    def last_error(self) -> str:
        errors = self.errors
        return errors[0] if errors else ""

    @property
    def state(self) -> str:
        """`stale` (too old, or never succeeded), `failing` (fresh, but its latest run failed)
        or `fresh`."""
        age = self.age
        if age is None or age > timedelta(days=self.threshold_days):
            return "stale"
        return "failing" if self.current_failure is not None else "fresh"

    @property
    def by_hand(self) -> bool:
        """Loaded by `vigie vulns import` (or `refresh`) rather than by the scheduled job."""
        return self.last_success is not None and self.last_success.triggered_by == "cli"


def _configured() -> tuple[list[str], dict[Place, str]]:
    """Sources the settings name: keys known before any run, and the places of feed files."""
    # Imported here: feed_import imports this module (for `loaded_counts`).
    from vigie.vulns.feed_import import safe_location

    keys = ["nvd"] if settings.VIGIE_NVD_API_URL else []
    for url in [*settings.VIGIE_CSAF_ROLIE_URLS, *settings.VIGIE_CSAF_DIRECTORY_URLS]:
        keys.append(f"csaf:{_publisher(url)}")
    files: dict[Place, str] = {}
    for url in settings.VIGIE_FEED_URLS:
        place = ("url" if url.startswith(("http://", "https://")) else "file", safe_location(url))
        files[place] = f"feed:{place[1]}"
    return keys, files


def feed_runs() -> Iterable[FeedRun]:
    """The latest finished feed runs, newest first, without their (long) error lists."""
    return (
        FeedRun.objects.exclude(state=FeedRun.State.RUNNING)
        .exclude(source__in=("resume", "rematch"))
        .defer("errors")
        .order_by("-started_at")[:HISTORY]
    )


def source_freshness(
    now: datetime | None = None, runs: Iterable[FeedRun] | None = None
) -> list[SourceFreshness]:
    """One row per source ever loaded or configured, stale ones first, then by label.

    A configured feed file (VIGIE_FEED_URLS) says what it brings only once it loaded: until
    then it has a row of its own, stale.
    """
    now = now or timezone.now()
    days = stale_days()
    rows: dict[str, SourceFreshness] = {}

    def row(key: str) -> SourceFreshness:
        if key not in rows:
            kind = key.split(":", 1)[0] if key.startswith(("csaf:", "kev:", "feed:")) else key
            # A configured file that never loaded is stale whatever its threshold: it has none.
            threshold = 0 if kind == "feed" else days.get(kind, days.get("records", 7))
            rows[key] = SourceFreshness(key=key, threshold_days=threshold, now=now)
        return rows[key]

    keys, files = _configured()
    for key in keys:
        row(key)
    runs = list(feed_runs() if runs is None else runs)
    # What each place brought when it worked, for its failures (which loaded nothing); places
    # whose runs count `loaded_*` are read from those only, not from older runs' guesses.
    exact = {(run.source, run.location) for run in runs if _loaded(run)}
    brings: dict[Place, set[str]] = {}
    for run in runs:
        if run.state in SUCCESS:
            place = (run.source, run.location)
            brings.setdefault(place, set()).update(run_kinds(run, legacy=place not in exact))
    for place, key in files.items():
        if not brings.get(place):
            row(key)
    for run in runs:  # newest first: the first success and failure seen are the latest
        place = (run.source, run.location)
        kinds = run_kinds(run, legacy=place not in exact)
        if not kinds and run.state in FAILURE:
            if brings.get(place):
                kinds = dict.fromkeys(brings[place], 0)
            elif place in files:
                kinds = {files[place]: 0}
        for key, number in kinds.items():
            item = row(key)
            if run.state in SUCCESS and item.last_success is None:
                item.last_success, item.records = run, number
            elif run.state in FAILURE and item.last_failure is None:
                item.last_failure = run
    order = {"stale": 0, "failing": 1, "fresh": 2}
    return sorted(rows.values(), key=lambda r: (order[r.state], r.label, r.detail))


def stale_sources(now: datetime | None = None) -> list[SourceFreshness]:
    return [row for row in source_freshness(now) if row.state == "stale"]

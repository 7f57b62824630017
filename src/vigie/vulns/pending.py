"""Matching owed to committed data: written with the data, drained after, resumed after a crash.

Storing and matching used to be two steps with nothing durable between them: a feed import (or
an inventory import) killed after it stored its records lost their matching for good, since a
re-run found them unchanged. Now "stored" and "to be matched" are one fact:

* whatever stores data that matching reads (feed records, KEV, EPSS, VEX, assets) writes, in
  the same transaction, one PendingMatch row per vulnerability or asset to evaluate, owned by
  the run that stored it (a FeedRun, an inventory import's matching task, or nobody for a web
  request) and raises the vulnerability's `data_version`;
* `drain` evaluates rows and deletes each only after the alerts it calls for are committed
  (per chunk of 500 vulnerabilities); `alerting.apply` brings an alert in line with the
  matches, so evaluating a row twice changes nothing and notifies nobody twice;
* a match is applied only if the vulnerability's `data_version` is the one its data was read
  at (checked under a row lock in the alert's transaction); otherwise the row stays and is
  evaluated again from the new data, so two runs evaluating the same vulnerability at once can
  never leave the older evaluation in place;
* `resume_pending` finds the runs whose process is gone (vulns/liveness.py), marks them
  interrupted, and drains what they owed under a `resume` run of its own; the `resume-matching`
  job runs it every minute (a worker's start is its first slot), and `vigie vulns import`,
  `refresh` and `rematch` run it too before they report.

A kill at any point therefore leaves rows on exactly the work that may be undone, and any later
run does it: the alerts end as one clean run leaves them.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Now
from django.utils import timezone

from vigie.inventory.models import Asset, InventoryImport
from vigie.vulns import liveness
from vigie.vulns.matching import MatchCounts, candidate_vulnerabilities, match_vulnerabilities
from vigie.vulns.models import OPEN_STATES, Alert, FeedRun, PendingMatch, VulnKey
from vigie.vulns.owed import chunks, owe_vulnerabilities
from vigie.vulns.runs import (
    Interrupted,
    RunBeat,
    db_now,
    failing_on_error,
    finish_run,
    gone_reason,
    reconcile_runs,
    start_run,
)

logger = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]

# Rows of nobody (a web request's asset edit) younger than this are still being matched by the
# request that wrote them: one asset is matched in well under a second.
GRACE = timedelta(minutes=1)
# An import whose matching task has not started after this is taken as lost (a task pushed to
# Redis after the commit, by a process that died in between): the resumer matches it.
LOST_AFTER = timedelta(minutes=10)
READ_ROWS = 50_000  # rows evaluated per pass: one inventory cache serves them all


# --- Draining --------------------------------------------------------------------------------


def _delete(pks: Iterable[int]) -> None:
    ordered = sorted(set(pks))
    for chunk in chunks(ordered):
        PendingMatch.objects.filter(pk__in=chunk).delete()


def drain(rows: QuerySet[PendingMatch], *, progress: Progress | None = None) -> MatchCounts:
    """Evaluate the rows of `rows` (re-read until none is left) and delete each once done."""
    total = MatchCounts()
    idle_passes = 0
    while True:
        batch = list(
            rows.order_by("pk").values_list(
                "pk", "vulnerability__vuln_id", "asset_id", "organisation_id", "exploitation_only"
            )[:READ_ROWS]
        )
        if not batch:
            return total
        counts, completed = _drain_batch(batch, progress)
        total.merge(counts)
        # Rows are left when their data changed while they were evaluated: the next pass reads
        # the new data. Two passes in a row that finish nothing leave them to a later run.
        idle_passes = 0 if completed else idle_passes + 1
        if idle_passes >= 2:
            logger.warning(
                "%d owed matches could not be completed; a later run retries", len(batch)
            )
            return total


def _drain_batch(
    batch: Sequence[tuple[int, str | None, int | None, int | None, bool]],
    progress: Progress | None,
) -> tuple[MatchCounts, int]:
    everywhere: dict[str, list[int]] = defaultdict(list)
    scoped: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    exploitation: dict[str, list[int]] = defaultdict(list)
    by_asset: dict[int, list[int]] = defaultdict(list)
    finished: list[int] = []
    for pk, vuln_id, asset_id, organisation_id, exploitation_only in batch:
        if asset_id is not None:
            by_asset[asset_id].append(pk)
        elif vuln_id is None:
            finished.append(pk)  # nothing left to evaluate
        elif organisation_id is not None:
            scoped[organisation_id][vuln_id].append(pk)
        elif exploitation_only:
            exploitation[vuln_id].append(pk)
        else:
            everywhere[vuln_id].append(pk)
    if exploitation:
        # Open alerts are few next to an EPSS file: intersect in Python.
        alerting = set(
            Alert.objects.filter(state__in=OPEN_STATES)
            .values_list("vulnerability__vuln_id", flat=True)
            .distinct()
        )
        for vuln_id, pks in exploitation.items():
            if vuln_id in everywhere or vuln_id in alerting:
                everywhere[vuln_id].extend(pks)
            else:
                finished.extend(pks)  # alerts nowhere: no priority to change
    _delete(finished)
    done = len(finished)
    counts = MatchCounts()

    def chunk_done(rows_of: dict[str, list[int]]) -> Callable[[set[str]], None]:
        def delete(vuln_ids: set[str]) -> None:
            nonlocal done
            pks = [pk for vuln_id in vuln_ids for pk in rows_of.get(vuln_id, ())]
            _delete(pks)
            done += len(pks)

        return delete

    if everywhere:
        counts.merge(
            match_vulnerabilities(everywhere, progress=progress, chunk_done=chunk_done(everywhere))
        )
    for organisation_id, rows_of in scoped.items():
        counts.merge(
            match_vulnerabilities(
                rows_of, organisations=[organisation_id], chunk_done=chunk_done(rows_of)
            )
        )
    if by_asset:
        assets_of: dict[int, list[Asset]] = defaultdict(list)
        found: set[int] = set()
        for chunk in chunks(sorted(by_asset)):
            for asset in Asset.objects.filter(pk__in=chunk):
                assets_of[asset.organisation_id].append(asset)
                found.add(asset.pk)
        gone = [pk for asset_id, pks in by_asset.items() if asset_id not in found for pk in pks]
        _delete(gone)
        done += len(gone)
        for organisation_id, assets in assets_of.items():
            wanted = candidate_vulnerabilities(assets)
            evaluated: set[str] = set()
            counts.merge(
                match_vulnerabilities(
                    wanted,
                    organisations=[organisation_id],
                    progress=progress,
                    chunk_done=evaluated.update,
                )
            )
            if evaluated >= wanted:
                pks = [pk for asset in assets for pk in by_asset[asset.pk]]
                _delete(pks)
                done += len(pks)
    return counts, done


# --- Inventory imports ---------------------------------------------------------------------------


def match_import(import_id: Any, *, progress: Progress | None = None) -> dict[str, int] | None:
    """Match what an inventory import committed; None when another live process does it.

    Claims the import first (a conditional UPDATE), so a task that runs twice, or the resumer
    meeting a task that is still alive, never matches one import twice at once.
    """
    me = liveness.this_process()
    claimable = [InventoryImport.MatchState.QUEUED, InventoryImport.MatchState.INTERRUPTED]
    claimed = InventoryImport.objects.filter(pk=import_id, match_state__in=claimable).update(
        match_state=InventoryImport.MatchState.RUNNING, match_done=0, **liveness.stamp()
    )
    if not claimed:
        job = InventoryImport.objects.filter(
            pk=import_id, match_state=InventoryImport.MatchState.RUNNING
        ).first()
        if job is None or not liveness.is_gone(job, db_now(), started=job.committed_at):
            return None
        claimed = InventoryImport.objects.filter(
            liveness.silent_since(job),
            pk=import_id,
            match_state=InventoryImport.MatchState.RUNNING,
        ).update(match_done=0, **liveness.stamp())
        if not claimed:
            return None
    beat = liveness.Beat(InventoryImport, import_id)

    def report(stage: str, done: int, total: int) -> None:
        beat(match_done=done, match_total=total)
        if progress is not None:
            progress(stage, done, total)

    owned = PendingMatch.objects.filter(inventory_import_id=import_id, feed_run__isnull=True)
    mine = InventoryImport.objects.filter(
        pk=import_id, match_state=InventoryImport.MatchState.RUNNING, host=me.host, pid=me.pid
    )
    try:
        counts = drain(owned, progress=report)
    except BaseException:
        mine.update(match_state=InventoryImport.MatchState.INTERRUPTED, heartbeat_at=Now())
        raise
    left = owned.exists()
    result = {
        "alerts_created": counts.alerts_created,
        "alerts_updated": counts.alerts_updated,
        "alerts_closed": counts.alerts_closed,
    }
    mine.update(
        match_state=(
            InventoryImport.MatchState.INTERRUPTED if left else InventoryImport.MatchState.DONE
        ),
        match_counts=result,
        match_done=F("match_total"),
        matched_at=timezone.now(),
        heartbeat_at=Now(),
    )
    return result


def reconcile_imports() -> int:
    """Mark `interrupted` the imports whose matching process is gone."""
    now = db_now()
    marked = 0
    for job in InventoryImport.objects.filter(match_state=InventoryImport.MatchState.RUNNING):
        if not liveness.is_gone(job, now, started=job.committed_at):
            continue
        if InventoryImport.objects.filter(
            liveness.silent_since(job), pk=job.pk, match_state=InventoryImport.MatchState.RUNNING
        ).update(match_state=InventoryImport.MatchState.INTERRUPTED):
            logger.warning(
                "matching of inventory import %s was interrupted: %s",
                job.pk,
                gone_reason(job, now, job.committed_at),
            )
            marked += 1
    return marked


# --- Resuming ------------------------------------------------------------------------------------


@dataclass
class Resumed:
    interrupted: list[Interrupted] = field(default_factory=list)
    imports: int = 0
    run: FeedRun | None = None
    owed: int = 0
    counts: MatchCounts = field(default_factory=MatchCounts)

    def describe(self) -> dict[str, Any]:
        return {
            "interrupted_runs": [i.describe() for i in self.interrupted],
            "inventory_imports_resumed": self.imports,
            "resume_run": self.run.pk if self.run is not None else None,
            "owed_matches": self.owed,
            "alerts_created": self.counts.alerts_created,
            "alerts_updated": self.counts.alerts_updated,
            "alerts_closed": self.counts.alerts_closed,
        }


def _orphans() -> tuple[Q, list[int]] | None:
    """Rows nobody alive will drain, as a filter on the rows' own columns, and their dead runs.

    Own columns only (no join): on PostgreSQL a second resumer's UPDATE re-checks them on rows
    the first one adopted meanwhile, and skips those.
    """
    owners = set(
        PendingMatch.objects.filter(feed_run__isnull=False)
        .values_list("feed_run_id", flat=True)
        .distinct()
    )
    ended = list(
        FeedRun.objects.filter(pk__in=owners)
        .exclude(state=FeedRun.State.RUNNING)
        .values_list("pk", flat=True)
    )
    imports = set(
        PendingMatch.objects.filter(inventory_import__isnull=False, feed_run__isnull=True)
        .values_list("inventory_import_id", flat=True)
        .distinct()
    )
    # Matched (the rows were written after its task ended) or never to be matched by a task.
    finished_imports = list(
        InventoryImport.objects.filter(pk__in=imports)
        .exclude(
            match_state__in=[
                InventoryImport.MatchState.QUEUED,
                InventoryImport.MatchState.RUNNING,
                InventoryImport.MatchState.INTERRUPTED,
            ]
        )
        .values_list("pk", flat=True)
    )
    orphans = (
        Q(feed_run_id__in=ended)
        | Q(feed_run__isnull=True, inventory_import_id__in=finished_imports)
        | Q(
            feed_run__isnull=True,
            inventory_import__isnull=True,
            created_at__lt=timezone.now() - GRACE,
        )
    )
    if not PendingMatch.objects.filter(orphans).exists():
        return None
    return orphans, ended


def resume_pending(
    *, triggered_by: str, progress: Progress | None = None, everything: bool = False
) -> Resumed:
    """Find interrupted runs and do the matching that anybody gone left owed.

    `everything`: also evaluate every vulnerability any inventory could match (`vigie vulns
    rematch`), in the same run, so that nothing owed is evaluated twice.
    """
    resumed = Resumed(interrupted=reconcile_runs())
    reconcile_imports()
    lost = timezone.now() - LOST_AFTER
    for job_id in InventoryImport.objects.filter(
        Q(match_state=InventoryImport.MatchState.INTERRUPTED)
        | Q(match_state=InventoryImport.MatchState.QUEUED, committed_at__lt=lost)
    ).values_list("pk", flat=True):
        if match_import(job_id, progress=progress) is not None:
            resumed.imports += 1
    found = _orphans()
    if found is None and not everything:
        return resumed
    run = resumed.run = start_run(
        source="rematch" if everything else "resume",
        location="every vulnerability, every inventory" if everything else "owed matching",
        triggered_by=triggered_by,
    )
    with failing_on_error(run):
        if found is not None:
            orphans, ended = found
            resumed.owed = PendingMatch.objects.filter(orphans).update(
                feed_run=run, inventory_import=None
            )
            FeedRun.objects.filter(
                pk__in=ended, state=FeedRun.State.INTERRUPTED, resumed_by__isnull=True
            ).update(resumed_by=run)
        if everything:
            pks = set(VulnKey.objects.values_list("record__vulnerability_id", flat=True).distinct())
            pks |= set(
                Alert.objects.filter(state__in=OPEN_STATES)
                .values_list("vulnerability_id", flat=True)
                .distinct()
            )
            with transaction.atomic():
                owe_vulnerabilities(pks, feed_run=run, changed=False)
        resumed.counts = drain(
            PendingMatch.objects.filter(feed_run=run), progress=RunBeat(run, progress)
        )
    finish_run(run, FeedRun.State.OK, {"owed_matches": resumed.owed, **vars(resumed.counts)}, [])
    logger.info("%s run %s: %s", run.source, run.pk, vars(resumed.counts))
    return resumed

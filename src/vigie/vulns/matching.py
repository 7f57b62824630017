"""Matching inside the platform, incremental both ways.

* A new or changed vulnerability: its keys (vulns.VulnKey) are looked up in the index of all
  inventories (inventory.AssetKey, one indexed query); only the candidate assets and their trees
  are evaluated, establishment by establishment.
* A new or changed asset: its keys are looked up in the vulnerability index; only those
  vulnerabilities (and those already alerting on the asset) are re-evaluated for its
  establishment.
Evaluation itself is the engines' (vigie.engines.matching), the same code as `vigie vulns match`.
What to evaluate comes from the PendingMatch rows written with the data (vulns/pending.py).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction

from vigie.engines.match_keys import asset_keys
from vigie.engines.matching import by_id, match_records, prioritise
from vigie.engines.records import AssetRecord, EpssScore, KevEntry, Match, VulnRecord
from vigie.inventory.models import Asset, AssetKey
from vigie.vulns import alerting
from vigie.vulns.models import (
    OPEN_STATES,
    Alert,
    AlertAsset,
    FeedRecord,
    KevListing,
    Vulnerability,
    VulnKey,
)
from vigie.vulns.models import EpssScore as EpssRow
from vigie.vulns.serialise import record_from_json
from vigie.vulns.store import vex_statements

logger = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]
# Vulnerabilities evaluated together: one engine pass per establishment, then their alerts; the
# owed rows of a chunk are cleared once its alerts are committed.
MATCH_CHUNK = 500


@dataclass
class MatchCounts:
    vulnerabilities: int = 0
    establishments: int = 0
    alerts_created: int = 0
    alerts_updated: int = 0
    alerts_closed: int = 0

    def add(self, change: alerting.Change) -> None:
        if change == alerting.Change.CREATED:
            self.alerts_created += 1
        elif change == alerting.Change.UPDATED:
            self.alerts_updated += 1
        elif change == alerting.Change.CLOSED:
            self.alerts_closed += 1

    def merge(self, other: MatchCounts) -> None:
        self.vulnerabilities += other.vulnerabilities
        self.establishments += other.establishments
        self.alerts_created += other.alerts_created
        self.alerts_updated += other.alerts_updated
        self.alerts_closed += other.alerts_closed


# --- keeping the index of all inventories -------------------------------------------------------


def index_assets(assets: Iterable[Asset]) -> None:
    """(Re)write the AssetKey rows of these assets."""
    assets = list(assets)
    if not assets:
        return
    AssetKey.objects.filter(asset__in=assets).delete()
    AssetKey.objects.bulk_create(
        [
            AssetKey(
                asset_id=asset.pk, organisation_id=asset.organisation_id, kind=kind, key=key[:300]
            )
            for asset in assets
            for kind, key in sorted(asset_keys(asset.to_record()))
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )


# --- evaluation ------------------------------------------------------------------------------


def _records_of(vulnerabilities: Iterable[Vulnerability]) -> dict[str, list[VulnRecord]]:
    rows = FeedRecord.objects.filter(vulnerability__in=list(vulnerabilities)).only("record")
    return by_id(record_from_json(row.record) for row in rows)


def _exploitation(
    vuln_ids: Iterable[str],
) -> tuple[dict[str, list[KevEntry]], dict[str, EpssScore]]:
    ids = list(vuln_ids)
    kev: dict[str, list[KevEntry]] = defaultdict(list)
    for row in KevListing.objects.filter(cve__in=ids):
        kev[row.cve].append(
            KevEntry(
                cve=row.cve,
                catalogue=row.catalogue,
                date_added=row.date_added.isoformat() if row.date_added else "",
                ransomware=row.ransomware,
                vendor=row.vendor,
                product=row.product,
                name=row.name,
                due_date=row.due_date.isoformat() if row.due_date else "",
            )
        )
    epss = {
        row.cve: EpssScore(cve=row.cve, epss=row.epss, percentile=row.percentile)
        for row in EpssRow.objects.filter(cve__in=ids)
    }
    return kev, epss


def _still_current(vuln: Vulnerability) -> bool:
    """Inside the alert's transaction: whether the data read at `vuln.data_version` is still
    the latest. The row lock makes a change of that data (which raises the version in its own
    transaction) wait until this alert is committed, or be seen here."""
    return (
        Vulnerability.objects.select_for_update()
        .filter(pk=vuln.pk, data_version=vuln.data_version)
        .exists()
    )


def match_vulnerabilities(
    vuln_ids: Iterable[str],
    *,
    organisations: Iterable[int] | None = None,
    progress: Progress | None = None,
    chunk_done: Callable[[set[str]], None] | None = None,
) -> MatchCounts:
    """Re-evaluate these vulnerabilities where they can match (optionally: some establishments).

    Work is grouped by establishment: one engine pass evaluates all the candidate
    vulnerabilities of a chunk on the establishment's candidate trees, then each alert is
    brought up to date in its own transaction. After each chunk, `chunk_done` receives the ids
    whose alerts are all committed; a vulnerability whose data changed since it was read is
    left out (its change owes a new evaluation: vulns/pending.py).
    """
    counts = MatchCounts()
    ids = sorted({v.upper() for v in vuln_ids})
    only_orgs = set(organisations) if organisations is not None else None
    inventories: dict[int, _Inventory] = {}
    if progress is not None and ids:
        progress("matching", 0, len(ids))
    for start in range(0, len(ids), MATCH_CHUNK):
        chunk = ids[start : start + MATCH_CHUNK]
        # Read before anything else of these vulnerabilities: data_version dates what follows.
        vulns = {v.vuln_id: v for v in Vulnerability.objects.filter(vuln_id__in=chunk)}
        outdated: set[str] = set()
        counts.vulnerabilities += len(vulns)
        for vuln in vulns.values():
            if vuln.rejected:
                with transaction.atomic():
                    if not _still_current(vuln):
                        outdated.add(vuln.vuln_id)
                        continue
                    for change in alerting.withdraw(vuln):
                        counts.add(change)
        candidates = _candidates({k: v for k, v in vulns.items() if not v.rejected}, only_orgs)
        by_org: dict[int, dict[str, set[int]]] = defaultdict(dict)
        for vuln_id, orgs in candidates.items():
            for org_id, seeds in orgs.items():
                by_org[org_id][vuln_id] = seeds
        if by_org:
            live = sorted({vuln_id for per_org in by_org.values() for vuln_id in per_org})
            records = _records_of(vulns[v] for v in live)
            kev, epss = _exploitation(live)
            statements = vex_statements(live)
            for org_id, per_vuln in by_org.items():
                inventory = inventories.get(org_id)
                if inventory is None:
                    inventory = inventories[org_id] = _Inventory(org_id)
                seeds = set().union(*per_vuln.values())
                assets = inventory.trees(seeds)
                asset_records = {pk: inventory.records[pk] for pk in assets}
                org_records = [r for vuln_id in per_vuln for r in records.get(vuln_id, [])]
                matches = (
                    match_records(org_records, list(asset_records.values()))
                    if org_records and asset_records
                    else []
                )
                by_vuln: dict[str, list[Match]] = defaultdict(list)
                for match in matches:
                    by_vuln[match.vulnerability.upper()].append(match)
                for vuln_id in per_vuln:
                    counts.establishments += 1
                    outcome = prioritise(
                        by_vuln.get(vuln_id, []),
                        records={vuln_id: records.get(vuln_id, [])},
                        assets=asset_records,
                        kev=kev,
                        epss=epss,
                        vex=[s for s in statements if s.vulnerability == vuln_id],
                    )
                    if vuln_id in outdated:
                        continue
                    with transaction.atomic():
                        if not _still_current(vulns[vuln_id]):
                            outdated.add(vuln_id)
                            continue
                        counts.add(
                            alerting.apply(
                                organisation_id=org_id,
                                vulnerability=vulns[vuln_id],
                                outcome=outcome,
                                assets={pk: inventory.assets[pk] for pk in assets},
                                sources={r.source for r in records.get(vuln_id, [])},
                            )
                        )
        if chunk_done is not None:
            chunk_done(set(chunk) - outdated)
        if progress is not None:
            progress("matching", min(start + MATCH_CHUNK, len(ids)), len(ids))
    return counts


class _Inventory:
    """One establishment's assets, loaded once per matching run and only as far as needed."""

    def __init__(self, organisation_id: int) -> None:
        self.organisation_id = organisation_id
        self.links: dict[int, int | None] = dict(
            Asset.objects.filter(organisation_id=organisation_id).values_list("pk", "parent_id")
        )
        self.children: dict[int, list[int]] = defaultdict(list)
        for pk, parent_id in self.links.items():
            if parent_id is not None:
                self.children[parent_id].append(pk)
        self.assets: dict[str, Asset] = {}
        self.records: dict[str, AssetRecord] = {}

    def trees(self, seeds: set[int]) -> list[str]:
        """Ids (as strings) of the seeds' whole trees: root ancestor and all its descendants."""
        wanted: set[int] = set()
        for seed in seeds:
            root, seen = seed, {seed}
            up = self.links.get(root)
            while up is not None and up not in seen:  # a cycle stops the walk
                root = up
                seen.add(root)
                up = self.links.get(root)
            stack = [root]
            while stack:
                node = stack.pop()
                if node in wanted:
                    continue
                wanted.add(node)
                stack.extend(self.children.get(node, ()))
        missing = [pk for pk in wanted if str(pk) not in self.assets]
        for start in range(0, len(missing), 5000):
            for asset in Asset.objects.filter(pk__in=missing[start : start + 5000]):
                self.assets[str(asset.pk)] = asset
                self.records[str(asset.pk)] = asset.to_record()
        return [str(pk) for pk in wanted if str(pk) in self.assets]


def _candidates(
    vulns: dict[str, Vulnerability], only_orgs: set[int] | None
) -> dict[str, dict[int, set[int]]]:
    """For each vulnerability: establishment -> candidate asset ids (two indexed queries)."""
    keys_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    if not vulns:
        return {}
    for vuln_id, kind, key in VulnKey.objects.filter(
        record__vulnerability__in=list(vulns.values())
    ).values_list("record__vulnerability__vuln_id", "kind", "key"):
        keys_of[(kind, key)].add(vuln_id)
    found: dict[str, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    if keys_of:
        rows = AssetKey.objects.filter(key__in={key for _, key in keys_of})
        if only_orgs is not None:
            rows = rows.filter(organisation_id__in=only_orgs)
        for org_id, asset_id, kind, key in rows.values_list(
            "organisation_id", "asset_id", "kind", "key"
        ):
            for vuln_id in keys_of.get((kind, key), ()):
                found[vuln_id][org_id].add(asset_id)
    # Where a vulnerability alerts today it must be re-evaluated too: a changed record may no
    # longer cover the assets there, and the alert must then close.
    open_alerts = Alert.objects.filter(
        vulnerability__in=list(vulns.values()), state__in=OPEN_STATES
    ).values_list("vulnerability__vuln_id", "organisation_id")
    for vuln_id, org_id in open_alerts:
        if only_orgs is None or org_id in only_orgs:
            found[vuln_id].setdefault(org_id, set())
    # And so must the assets it affects today, whatever their keys: when the feed that brought
    # an asset in stops matching, another feed of the same CVE may still match it (a CVE 5
    # record naming a product without its vendor shares no key with the asset), and the row
    # must stay with that feed rather than close.
    affected = AlertAsset.objects.filter(
        alert__vulnerability__in=list(vulns.values()),
        alert__state__in=OPEN_STATES,
        active=True,
    ).values_list("alert__vulnerability__vuln_id", "alert__organisation_id", "asset_id")
    for vuln_id, org_id, asset_id in affected:
        if only_orgs is None or org_id in only_orgs:
            found[vuln_id][org_id].add(asset_id)
    return found


def candidate_vulnerabilities(assets: Iterable[Asset]) -> set[str]:
    """What to re-evaluate for these (new or changed) assets, in their establishment: the
    vulnerabilities sharing a key with them, and those alerting on them today."""
    keys: set[tuple[str, str]] = set()
    pks: list[int] = []
    for asset in assets:
        keys |= asset_keys(asset.to_record())
        pks.append(asset.pk)
    vuln_ids: set[str] = set()
    wanted = sorted({key for _, key in keys})
    for start in range(0, len(wanted), 5000):
        rows = VulnKey.objects.filter(key__in=wanted[start : start + 5000]).values_list(
            "kind", "key", "record__vulnerability__vuln_id"
        )
        vuln_ids.update(vuln_id for kind, key, vuln_id in rows if (kind, key) in keys)
    for start in range(0, len(pks), 5000):
        vuln_ids.update(
            AlertAsset.objects.filter(asset_id__in=pks[start : start + 5000], active=True)
            .values_list("alert__vulnerability__vuln_id", flat=True)
            .distinct()
        )
    return vuln_ids

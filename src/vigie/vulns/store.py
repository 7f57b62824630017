"""Storing feed content: vulnerabilities and their records, the key index, KEV, EPSS and VEX.

Everything is written in batches (a 32,000-record feed must not cost 100,000 queries) and each
batch in one transaction. That transaction also writes the matching the batch makes owed
(vulns.PendingMatch rows, owned by the feed run), so that a process killed after it is still
matched by whoever comes next (vulns/pending.py). The functions return what changed, for the
run's counts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction

from vigie.core.bulk import update_rows
from vigie.engines.match_keys import record_keys
from vigie.engines.matching import merged_record
from vigie.engines.records import EpssScore, KevEntry, VexStatement, VulnRecord
from vigie.vulns.models import EpssScore as EpssRow
from vigie.vulns.models import FeedRecord, FeedRun, KevListing, VexRecord, Vulnerability, VulnKey
from vigie.vulns.owed import chunks, owe_exploitation, owe_vulnerabilities
from vigie.vulns.serialise import record_from_json, record_to_json

BATCH = 500


@dataclass
class StoreResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: set[str] = field(default_factory=set)
    changed: set[str] = field(default_factory=set)  # vulnerability ids whose records changed

    def merge(self, other: StoreResult) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected |= other.rejected
        self.changed |= other.changed


def store_records(
    records: Iterable[VulnRecord],
    *,
    run: FeedRun | None = None,
    beat: Callable[[], None] | None = None,
) -> StoreResult:
    """Upsert vulnerability records; one FeedRecord per (vulnerability, source).

    Each batch owes the matching of the vulnerabilities it changed, to `run`.
    """
    result = StoreResult()
    batch: dict[tuple[str, str], VulnRecord] = {}
    for record in records:
        # The last record of a (vulnerability, source) in a feed wins, as in the feed itself.
        batch[(record.id.upper(), record.source)] = record
        if len(batch) >= BATCH:
            result.merge(_store_batch(batch, run))
            batch = {}
            if beat is not None:
                beat()
    if batch:
        result.merge(_store_batch(batch, run))
    return result


def _store_batch(batch: dict[tuple[str, str], VulnRecord], run: FeedRun | None) -> StoreResult:
    result = StoreResult()
    ids = {vuln_id for vuln_id, _ in batch}
    with transaction.atomic():
        vulns = {v.vuln_id: v for v in Vulnerability.objects.filter(vuln_id__in=ids)}
        missing = [Vulnerability(vuln_id=vuln_id) for vuln_id in ids if vuln_id not in vulns]
        Vulnerability.objects.bulk_create(missing, ignore_conflicts=True)
        if missing:
            vulns = {v.vuln_id: v for v in Vulnerability.objects.filter(vuln_id__in=ids)}
        existing = {
            (r.vulnerability.vuln_id, r.source): r
            for r in FeedRecord.objects.filter(vulnerability__vuln_id__in=ids).select_related(
                "vulnerability"
            )
        }
        to_create: list[FeedRecord] = []
        to_update: list[FeedRecord] = []
        changed_records: list[tuple[FeedRecord, VulnRecord]] = []
        for (vuln_id, source), record in batch.items():
            data = record_to_json(record)
            current = existing.get((vuln_id, source))
            if current is None:
                row = FeedRecord(
                    vulnerability=vulns[vuln_id],
                    source=source,
                    record=data,
                    modified=record.modified,
                )
                to_create.append(row)
                changed_records.append((row, record))
                result.created += 1
            elif current.record != data:
                current.record = data
                current.modified = record.modified
                to_update.append(current)
                changed_records.append((current, record))
                result.updated += 1
            else:
                result.unchanged += 1
                continue
            result.changed.add(vuln_id)
            if record.rejected:
                result.rejected.add(vuln_id)
        FeedRecord.objects.bulk_create(to_create)
        update_rows(FeedRecord, to_update, ["record", "modified", "imported_at"])
        if changed_records:
            VulnKey.objects.filter(
                record__in=[row for row, _ in changed_records if row.pk]
            ).delete()
            VulnKey.objects.bulk_create(
                [
                    VulnKey(record=row, kind=kind, key=key[:300])
                    for row, record in changed_records
                    for kind, key in sorted(record_keys(record))
                ],
                ignore_conflicts=True,
            )
        _refresh_summaries([vulns[vuln_id] for vuln_id in result.changed])
        owe_vulnerabilities([vulns[vuln_id].pk for vuln_id in result.changed], feed_run=run)
    return result


def _refresh_summaries(vulns: Sequence[Vulnerability]) -> None:
    """Recompute what pages show of each vulnerability from all its records."""
    if not vulns:
        return
    by_vuln: dict[int, list[VulnRecord]] = defaultdict(list)
    for row in FeedRecord.objects.filter(vulnerability__in=vulns).only(
        "vulnerability_id", "record"
    ):
        by_vuln[row.vulnerability_id].append(record_from_json(row.record))
    for vuln in vulns:
        records = by_vuln.get(vuln.pk)
        if not records:
            continue
        merged = merged_record(records)
        best = merged.cvss[0] if merged.cvss else None
        vuln.title = (merged.title or _first_sentence(merged.description))[:500]
        vuln.description = next((r.description for r in records if r.description), "")
        vuln.published = min((r.published for r in records if r.published), default=None)
        vuln.modified = max((r.modified for r in records if r.modified), default=None)
        # A rejection by the CVE programme (NVD or CVE 5) withdraws the vulnerability.
        vuln.rejected = any(r.rejected for r in records if r.source in ("nvd", "cve5"))
        vuln.cvss_version = best.version if best else ""
        vuln.cvss_vector = best.vector[:200] if best else ""
        vuln.cvss_score = best.base_score if best else None
        vuln.cwes = sorted({c for r in records for c in r.cwes})
        vuln.references = list(dict.fromkeys(u for r in records for u in r.references))[:50]
        vuln.exploit_reference = bool(merged.exploit_references)
        vuln.ssvc_exploitation = merged.ssvc_exploitation or ""
        vuln.ssvc_automatable = merged.ssvc_automatable or ""
        vuln.ssvc_technical_impact = merged.ssvc_technical_impact or ""
    update_rows(
        Vulnerability,
        vulns,
        [
            "title",
            "description",
            "published",
            "modified",
            "rejected",
            "cvss_version",
            "cvss_vector",
            "cvss_score",
            "cwes",
            "references",
            "exploit_reference",
            "ssvc_exploitation",
            "ssvc_automatable",
            "ssvc_technical_impact",
            "updated_at",
        ],
    )


def _first_sentence(text: str) -> str:
    head = text.strip().split(". ", 1)[0]
    return head if len(head) < 200 else head[:197] + "…"


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def store_kev(entries: Sequence[KevEntry], *, run: FeedRun | None = None) -> set[str]:
    """Replace the catalogues present in `entries`; returns the CVEs whose listing changed."""
    by_catalogue: dict[str, list[KevEntry]] = defaultdict(list)
    for entry in entries:
        by_catalogue[entry.catalogue].append(entry)
    changed: set[str] = set()
    with transaction.atomic():
        for catalogue, listed in by_catalogue.items():
            before = {
                (row.cve, row.ransomware)
                for row in KevListing.objects.filter(catalogue=catalogue).only("cve", "ransomware")
            }
            rows = {
                entry.cve.upper(): KevListing(
                    cve=entry.cve.upper(),
                    catalogue=catalogue,
                    date_added=_date(entry.date_added),
                    due_date=_date(entry.due_date),
                    ransomware=entry.ransomware,
                    vendor=entry.vendor[:200],
                    product=entry.product[:200],
                    name=entry.name[:300],
                    required_action=entry.required_action,
                )
                for entry in listed
            }
            after = {(row.cve, row.ransomware) for row in rows.values()}
            KevListing.objects.filter(catalogue=catalogue).delete()
            KevListing.objects.bulk_create(rows.values(), batch_size=BATCH)
            changed |= {cve for cve, _ in before ^ after}
        owe_exploitation(changed, feed_run=run)
    return changed


def store_epss(
    scores: Iterable[EpssScore], threshold: float, *, run: FeedRun | None = None
) -> set[str]:
    """Upsert EPSS scores; returns the CVEs whose score crossed the SSVC threshold."""
    crossed: set[str] = set()
    batch: dict[str, EpssScore] = {}

    def flush() -> None:
        before = {
            cve: (epss, percentile)
            for cve, epss, percentile in EpssRow.objects.filter(cve__in=batch).values_list(
                "cve", "epss", "percentile"
            )
        }
        changed = []
        for cve, score in batch.items():
            old = before.get(cve)
            if old is None or (old[0] >= threshold) != (score.epss >= threshold):
                crossed.add(cve)
            # Most scores of a daily file are those of the day before: rewrite only the others.
            if old != (score.epss, score.percentile):
                changed.append(EpssRow(cve=cve, epss=score.epss, percentile=score.percentile))
        EpssRow.objects.bulk_create(
            changed,
            update_conflicts=True,
            unique_fields=["cve"],
            update_fields=["epss", "percentile", "updated_at"],
        )

    with transaction.atomic():
        for score in scores:
            batch[score.cve.upper()] = score
            if len(batch) >= 5000:
                flush()
                batch = {}
        if batch:
            flush()
        owe_exploitation(crossed, feed_run=run)
    return crossed


def store_vex(statements: Sequence[VexStatement], *, run: FeedRun | None = None) -> set[str]:
    """Upsert VEX statements; returns the vulnerabilities they concern."""
    rows = {
        (s.vulnerability.upper(), s.product[:500], s.source[:300]): VexRecord(
            vulnerability=s.vulnerability.upper(),
            status=s.status,
            product=s.product[:500],
            justification=s.justification,
            source=s.source[:300],
        )
        for s in statements
    }
    with transaction.atomic():
        VexRecord.objects.bulk_create(
            rows.values(),
            update_conflicts=True,
            unique_fields=["vulnerability", "product", "source"],
            update_fields=["status", "justification", "imported_at"],
            batch_size=BATCH,
        )
        concerned = sorted({vuln for vuln, _, _ in rows})
        pks: list[int] = []
        for chunk in chunks(concerned):
            pks.extend(Vulnerability.objects.filter(vuln_id__in=chunk).values_list("pk", flat=True))
        owe_vulnerabilities(pks, feed_run=run)
    return set(concerned)


def vex_statements(vuln_ids: Iterable[str]) -> list[VexStatement]:
    return [
        VexStatement(
            vulnerability=row.vulnerability,
            status=row.status,
            product=row.product,
            justification=row.justification,
            source=row.source,
        )
        for row in VexRecord.objects.filter(vulnerability__in=list(vuln_ids))
    ]

"""Owing matching: the PendingMatch rows written inside the transaction that stores the data.

Kept apart from vulns/pending.py (which drains the rows through matching) so that the store
can write them without importing the matcher.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import F

from vigie.inventory.models import Asset
from vigie.vulns.models import OPEN_STATES, Alert, FeedRun, PendingMatch, Vulnerability

CHUNK = 1_000


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _insert(rows: list[PendingMatch]) -> list[PendingMatch]:
    """Insert rows, each with its primary key set (callers drain exactly the rows they wrote)."""
    if connection.features.can_return_rows_from_bulk_insert:
        return PendingMatch.objects.bulk_create(rows, batch_size=CHUNK)
    for row in rows:  # SQLite before 3.35 does not return the keys of a bulk insert
        row.save(force_insert=True)
    return rows


def owe_vulnerabilities(
    vulnerability_pks: Iterable[int],
    *,
    feed_run: FeedRun | None = None,
    organisation_id: int | None = None,
    exploitation_only: bool = False,
    changed: bool = True,
) -> list[PendingMatch]:
    """Rows for these vulnerabilities; `changed`: their data changed (raise data_version)."""
    pks = sorted(set(vulnerability_pks))
    if not pks:
        return []
    if changed:
        for chunk in chunks(pks):
            Vulnerability.objects.filter(pk__in=chunk).update(data_version=F("data_version") + 1)
    return _insert(
        [
            PendingMatch(
                vulnerability_id=pk,
                feed_run=feed_run,
                organisation_id=organisation_id,
                exploitation_only=exploitation_only,
            )
            for pk in pks
        ]
    )


def owe_assets(assets: Iterable[Asset], *, inventory_import_id: Any = None) -> list[PendingMatch]:
    return _insert(
        [PendingMatch(asset_id=a.pk, inventory_import_id=inventory_import_id) for a in assets]
    )


def owe_exploitation(cves: Iterable[str], *, feed_run: FeedRun | None = None) -> int:
    """KEV or EPSS data of these CVEs changed: owe their evaluation where it can matter.

    Every CVE with a stored vulnerability gets its data_version raised, so that an evaluation
    that read the old data is not applied. Rows are written only for those that alert today or
    are waiting for matching anyway: the others have no alert whose priority could change (a
    first daily EPSS file changes 300,000 CVEs). Pending rows are read before alerts, because
    a row is deleted after its alert commits: an alert committed between the two reads is seen
    by the second one.
    """
    ids = sorted({cve.upper() for cve in cves})
    if not ids:
        return 0
    for chunk in chunks(ids):
        Vulnerability.objects.filter(vuln_id__in=chunk).update(data_version=F("data_version") + 1)
    wanted = set(
        PendingMatch.objects.filter(vulnerability__isnull=False)
        .values_list("vulnerability__vuln_id", flat=True)
        .distinct()
    )
    wanted |= set(
        Alert.objects.filter(state__in=OPEN_STATES)
        .values_list("vulnerability__vuln_id", flat=True)
        .distinct()
    )
    targets = [vuln_id for vuln_id in ids if vuln_id in wanted]
    pks: list[int] = []
    for chunk in chunks(targets):
        pks.extend(Vulnerability.objects.filter(vuln_id__in=chunk).values_list("pk", flat=True))
    return len(owe_vulnerabilities(pks, feed_run=feed_run, exploitation_only=True, changed=False))

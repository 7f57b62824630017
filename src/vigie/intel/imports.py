"""Reading a file of indicators into an organisation's collection, in one transaction.

The framework-free engine (`vigie.engines.indicators`) detects the format, normalises the values
and reports each problem with its line or object; this module deduplicates them against what the
organisation already holds, flags what the warning lists name, and stores rows, sources and the
import's report together: a crash leaves either the whole file or nothing (never half a file).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vigie.audit.log import record as audit
from vigie.audit.models import Action
from vigie.engines.indicators import (
    IndicatorRecord,
    ReadResult,
    WarningIndex,
    load_warning_lists,
    read_indicator_file,
)
from vigie.intel.models import TLP_RANK, Indicator, IndicatorImport, IndicatorSource, Tlp
from vigie.intel.visibility import community_of
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.roles import Cap

# Problems kept on the import for people to read; the rest are counted.
PROBLEMS_KEPT = 1_000
# Rows read or written per query: large enough for speed, small enough for SQLite's variables.
BATCH = 900
MAX_BYTES_DEFAULT = 512 * 1024 * 1024

Progress = Callable[[int], None]


@cache
def warning_index() -> WarningIndex:
    """The warning lists of `VIGIE_WARNING_LISTS` (read once per process)."""
    folder = getattr(settings, "VIGIE_WARNING_LISTS", None)
    if not folder or not Path(folder).is_dir():
        return WarningIndex([])
    return load_warning_lists(Path(folder))


@dataclass
class _Merged:
    """One (type, value) of the file, the file's records of it merged."""

    record: IndicatorRecord
    tlp: str
    tags: set[str] = field(default_factory=set)
    valid_until: datetime | None = None
    sources: dict[tuple[str, str], IndicatorRecord] = field(default_factory=dict)


def _less_restrictive(a: str, b: str) -> str:
    return a if TLP_RANK[a] <= TLP_RANK[b] else b


def _merge(records: Iterable[IndicatorRecord], default_tlp: str, source: str) -> dict[Any, _Merged]:
    merged: dict[tuple[str, str], _Merged] = {}
    for rec in records:
        tlp = str(rec.tlp) if rec.tlp is not None else default_tlp
        key = (str(rec.type), rec.value)
        item = merged.get(key)
        if item is None:
            item = merged[key] = _Merged(record=rec, tlp=tlp, valid_until=rec.valid_until)
        else:
            item.tlp = _less_restrictive(item.tlp, tlp)
            if rec.valid_until is None or (
                item.valid_until is not None and rec.valid_until > item.valid_until
            ):
                item.valid_until = rec.valid_until
        item.tags.update(rec.tags)
        item.sources[(rec.source or source, rec.external_id or "")] = rec
    return merged


def _chunks(items: Sequence[Any], size: int = BATCH) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing(
    organisation_id: int, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], Indicator]:
    found: dict[tuple[str, str], Indicator] = {}
    by_type: dict[str, list[str]] = {}
    for type_, value in keys:
        by_type.setdefault(type_, []).append(value)
    for type_, values in by_type.items():
        for chunk in _chunks(values):
            rows = Indicator.objects.filter(
                organisation_id=organisation_id, type=type_, value__in=chunk
            )
            for row in rows:
                found[(row.type, row.value)] = row
    return found


def _warnings(index: WarningIndex, rec: IndicatorRecord) -> tuple[list[dict[str, str]], bool, bool]:
    """The warning lists naming the value; whether any does; whether one is a false-positive
    list (those suppress the value; a `known` list only informs)."""
    hits = index.check(rec.type, rec.value)
    warnings = [
        {
            "list": hit.list_name,
            "description": hit.list_description,
            "matching": hit.matching,
            "category": hit.category,
        }
        for hit in hits
    ]
    return warnings, bool(hits), any(hit.category == "false-positive" for hit in hits)


def _problem_json(result: ReadResult) -> list[dict[str, Any]]:
    return [
        {
            "code": p.code,
            "params": p.params,
            "line": p.line,
            "object": p.object_id,
            "field": p.field,
        }
        for p in result.problems[:PROBLEMS_KEPT]
    ]


def import_indicators(
    *,
    access: OrgAccess,
    data: bytes,
    file_name: str,
    source: str,
    default_tlp: str,
    progress: Progress | None = None,
) -> IndicatorImport:
    """Read `data` into the organisation's indicators; returns the import with its report.

    A file that gives no indicator at all (not text, wrong format) is stored as a refused import
    with its problems, so the person sees why; nothing else changes.
    """
    access.require(Cap.PUBLISH)
    if default_tlp not in Tlp.values:
        raise ValidationError({"tlp": _("Choose a TLP marking.")})
    source = source.strip()[:200] or file_name[:200]
    limit = getattr(settings, "VIGIE_INDICATOR_FILE_MAX_BYTES", MAX_BYTES_DEFAULT)
    if len(data) > limit:
        raise ValidationError(
            {"file": _("The file is larger than %(size)d MB.") % {"size": limit // (1024 * 1024)}}
        )
    result = read_indicator_file(data, file_name)
    merged = _merge(result.records, default_tlp, source)
    organisation = access.organisation
    community = community_of(organisation)
    index = warning_index()
    now = timezone.now()
    counts = {
        "objects_read": result.objects_read,
        "records": len(result.records),
        "indicators": len(merged),
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "problems": len(result.problems),
        "kept_patterns": len(result.kept_patterns),
        "flagged": 0,
    }
    with transaction.atomic():
        job = IndicatorImport.objects.create(
            organisation=organisation,
            created_by=access.user,
            file_name=file_name[:300],
            file_format=result.format,
            source=source,
            default_tlp=default_tlp,
            counts=counts,
            problems=_problem_json(result),
            kept_patterns=[
                {"object": obj, "pattern": pattern[:2000], "reason": reason}
                for obj, pattern, reason in result.kept_patterns[:PROBLEMS_KEPT]
            ],
        )
        keys = list(merged)
        done = 0
        for chunk in _chunks(keys):
            existing = _existing(organisation.pk, list(chunk))
            to_create: list[Indicator] = []
            to_update: list[Indicator] = []
            for key in chunk:
                item = merged[key]
                rec = item.record
                row = existing.get(key)
                warnings, flagged, suppressed = _warnings(index, rec)
                counts["flagged"] += int(flagged)
                if row is None:
                    to_create.append(
                        Indicator(
                            organisation=organisation,
                            community_id=community,
                            type=key[0],
                            value=key[1],
                            tlp=item.tlp,
                            tags=sorted(item.tags),
                            confidence=rec.confidence,
                            first_seen=rec.valid_from or now,
                            last_seen=now,
                            valid_until=item.valid_until,
                            warnings=warnings,
                            suppressed=suppressed,
                        )
                    )
                    continue
                before = (row.tlp, row.tags, row.valid_until, row.warnings, row.revoked)
                row.tlp = _less_restrictive(row.tlp, item.tlp)
                row.tags = sorted(set(row.tags) | item.tags)
                if item.valid_until is None or (
                    row.valid_until is not None and item.valid_until > row.valid_until
                ):
                    row.valid_until = item.valid_until
                row.warnings, row.suppressed = warnings, suppressed
                row.revoked = False
                row.last_seen = now
                changed = before != (row.tlp, row.tags, row.valid_until, row.warnings, row.revoked)
                counts["updated" if changed else "unchanged"] += 1
                to_update.append(row)
            Indicator.objects.bulk_create(to_create, batch_size=BATCH)
            counts["created"] += len(to_create)
            # RED reaches named people only: the person importing is the first one named.
            Indicator.recipients.through.objects.bulk_create(
                [
                    Indicator.recipients.through(indicator_id=row.pk, user_id=access.user.pk)
                    for row in (*to_create, *to_update)
                    if row.tlp == Tlp.RED
                ],
                batch_size=BATCH,
                ignore_conflicts=True,
            )
            Indicator.objects.bulk_update(
                to_update,
                ["tlp", "tags", "valid_until", "warnings", "suppressed", "revoked", "last_seen"],
                batch_size=BATCH,
            )
            ids = {**existing, **{(r.type, r.value): r for r in to_create}}
            _store_sources(job, [(ids[key], merged[key]) for key in chunk], default_tlp, now)
            done += len(chunk)
            if progress is not None:
                progress(done)
        job.counts = counts
        job.save(update_fields=["counts"])
        audit(
            Action.INDICATORS_IMPORTED,
            actor=access.user,
            organisation=organisation,
            target=job,
            target_label=job.file_name,
            details={k: counts[k] for k in ("created", "updated", "unchanged", "problems")},
        )
    return job


def _store_sources(
    job: IndicatorImport,
    rows: list[tuple[Indicator, _Merged]],
    default_tlp: str,
    now: datetime,
) -> None:
    """One source row per (indicator, source, external id): created, or its last sighting moved."""
    wanted: dict[tuple[int, str, str], IndicatorSource] = {}
    for indicator, item in rows:
        for (source, external_id), rec in item.sources.items():
            wanted[(indicator.pk, source[:200], external_id[:200])] = IndicatorSource(
                indicator=indicator,
                source=source[:200],
                external_id=external_id[:200],
                tlp=str(rec.tlp) if rec.tlp is not None else default_tlp,
                name=(rec.name or "")[:500],
                first_seen=now,
                last_seen=now,
                last_import=job,
            )
    present = IndicatorSource.objects.filter(indicator_id__in={k[0] for k in wanted})
    stale: list[IndicatorSource] = []
    for row in present.only("id", "indicator_id", "source", "external_id", "tlp", "name"):
        new = wanted.pop((row.indicator_id, row.source, row.external_id), None)
        if new is not None:
            row.tlp, row.name, row.last_seen, row.last_import = new.tlp, new.name, now, job
            stale.append(row)
    IndicatorSource.objects.bulk_create(list(wanted.values()), batch_size=BATCH)
    IndicatorSource.objects.bulk_update(
        stale, ["tlp", "name", "last_seen", "last_import"], batch_size=BATCH
    )

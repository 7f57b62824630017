"""Reading a file of indicators into an organisation's collection, in one transaction.

The framework-free engine (`vigie.engines.indicators`) detects the format, normalises the values
and reports each problem with its line or object; this module deduplicates them against what the
organisation already holds, flags what the warning lists name, and stores rows, sources and the
import's report together: a crash leaves either the whole file or nothing (never half a file).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, router, transaction
from django.db.models import Field, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from vigie.audit.log import record as audit
from vigie.audit.models import Action
from vigie.core.bulk import update_rows
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
# Prepared database values remembered per import (values that repeat: types, TLPs, tag lists).
MEMO_LIMIT = 100_000
_MISSING = object()
# A file of this many indicators or more has the planner's statistics refreshed (PostgreSQL).
ANALYZE_FROM = 20_000
_INDICATOR_UPDATED = (
    "tlp",
    "tags",
    "valid_until",
    "warnings",
    "suppressed",
    "revoked",
    "last_seen",
)
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


class _Stored(NamedTuple):
    """What the import compares of an indicator the organisation already holds."""

    pk: int
    tlp: str
    tags: list[str]
    valid_until: datetime | None
    warnings: list[dict[str, str]]
    revoked: bool
    suppressed: bool


def _existing(organisation_id: int, keys: list[tuple[str, str]]) -> dict[tuple[str, str], _Stored]:
    found: dict[tuple[str, str], _Stored] = {}
    by_type: dict[str, list[str]] = {}
    for type_, value in keys:
        by_type.setdefault(type_, []).append(value)
    for type_, values in by_type.items():
        for chunk in _chunks(values):
            rows = Indicator.objects.filter(
                organisation_id=organisation_id, type=type_, value__in=chunk
            ).values_list(
                "id", "value", "tlp", "tags", "valid_until", "warnings", "revoked", "suppressed"
            )
            for pk, value, *rest in rows:
                found[(type_, value)] = _Stored(pk, *rest)
    return found


class _Inserter:
    """Rows of one model inserted many to a statement, without a model instance per row.

    `bulk_create` spends tens of µs a row in Python (a model instance, then each field prepared
    through the compiler): at a million indicators and as many sources that alone missed the
    import's target. Here each value goes through its field's `get_db_prep_save`, as the ORM
    does (remembered for values that repeat: organisation, type, TLP, dates, tag lists), and
    the statement is the one `bulk_create` writes: a multi-row INSERT … VALUES … RETURNING id
    on SQLite, INSERT … SELECT * FROM UNNEST(one array per column) … RETURNING id on
    PostgreSQL (its arrays sent in binary, see `_cursor`). The caller gives every column,
    model defaults included. Figures: docs/performance.md, "Threat intelligence (issue 16)".
    """

    def __init__(self, model: type[Model], names: Sequence[str], *, returning: bool) -> None:
        self.model = model
        self.connection = connections[router.db_for_write(model)]
        self.fields = [_column(model, name) for name in names]
        features = self.connection.features
        self.returning = returning and features.can_return_rows_from_bulk_insert
        self.per_statement = BATCH
        if features.max_query_params:
            self.per_statement = min(BATCH, features.max_query_params // len(self.fields))
        self._memo: dict[tuple[int, Any], Any] = {}
        self._sql: dict[int, str] = {}

    def prep(self, position: int, value: Any, key: Any = None) -> Any:
        """`value` as the column's `get_db_prep_save` gives it, remembered by `key` (the
        value itself by default: it must then be hashable)."""
        memo_key = (position, value if key is None else key)
        found = self._memo.get(memo_key, _MISSING)
        if found is _MISSING:
            found = self.fields[position].get_db_prep_save(value, self.connection)
            if len(self._memo) < MEMO_LIMIT:
                self._memo[memo_key] = found
        return found

    def prep_once(self, position: int, value: Any) -> Any:
        """The same for a value that does not repeat (not remembered)."""
        return self.fields[position].get_db_prep_save(value, self.connection)

    def insert(self, rows: Sequence[Sequence[Any]]) -> list[int]:
        """INSERT rows of prepared values; with `returning`, their new ids in the same order."""
        ids: list[int] = []
        with self._cursor() as cursor:
            for start in range(0, len(rows), self.per_statement):
                batch = rows[start : start + self.per_statement]
                if self.connection.vendor == "postgresql":
                    # One array per column, as bulk_create sends them: a short statement to
                    # parse and plan (900 rows of VALUES took PostgreSQL longer to parse than
                    # to insert).
                    params: list[Any] = [list(column) for column in zip(*batch, strict=True)]
                else:
                    params = [value for row in batch for value in row]
                cursor.execute(self._statement(len(batch)), params)
                if self.returning:
                    ids.extend(returned[0] for returned in cursor.fetchall())
        return ids

    def _cursor(self) -> Any:
        if self.connection.vendor != "postgresql":
            return self.connection.cursor()
        # Django's PostgreSQL cursors bind parameters on the client: psycopg then writes each
        # array as an escaped literal, in Python (≈30 ms per 900-row statement, 20 times the
        # insert itself). Bound on the server as binary (`%b`), psycopg dumps them in C
        # (≈8 ms). Same connection and transaction, through Django's cursor wrapper.
        import psycopg
        from django.db.backends.utils import CursorWrapper

        self.connection.ensure_connection()
        return CursorWrapper(psycopg.Cursor(self.connection.connection), self.connection)

    def _statement(self, rows: int) -> str:
        vendor = self.connection.vendor
        size = 0 if vendor == "postgresql" else rows  # UNNEST: one statement for any size
        if size not in self._sql:
            # `return_insert_columns` exists where `can_return_rows_from_bulk_insert` is set.
            ops: Any = self.connection.ops
            meta = self.model._meta
            placeholders: Any
            if vendor == "postgresql":
                from django.db.backends.postgresql.compiler import InsertUnnest

                # As the PostgreSQL compiler writes it: no length on the array types.
                types = [str(f.db_type(self.connection)).split("(")[0] for f in self.fields]
                placeholders = InsertUnnest([f"(%b)::{db_type}[]" for db_type in types])
            else:
                placeholders = [["%s"] * len(self.fields)] * rows
            parts = [
                ops.insert_statement(),
                ops.quote_name(meta.db_table),
                "(" + ", ".join(ops.quote_name(f.column) for f in self.fields) + ")",
                ops.bulk_insert_sql(self.fields, placeholders),
            ]
            if self.returning:
                parts.append(ops.return_insert_columns([meta.pk])[0])
            self._sql[size] = " ".join(parts)
        return self._sql[size]


def _column(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or not field.concrete:
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


_INDICATOR_COLUMNS = (
    "organisation",
    "community",
    "type",
    "value",
    "tlp",
    "tags",
    "confidence",
    "first_seen",
    "last_seen",
    "valid_until",
    "revoked",
    "warnings",
    "suppressed",
    "updated_at",
    "stix_id",
)
_SOURCE_COLUMNS = (
    "indicator",
    "source",
    "external_id",
    "tlp",
    "name",
    "first_seen",
    "last_seen",
    "last_import",
)


def _create_indicators(
    inserter: _Inserter,
    organisation_id: int,
    community_id: int,
    now: datetime,
    new: list[tuple[tuple[str, str], _Merged, list[dict[str, str]], bool]],
) -> list[int]:
    """Insert the new indicators of a chunk; their ids, in the same order."""
    if not new:
        return []
    prep, once = inserter.prep, inserter.prep_once
    # What the model's defaults and `auto_now` would give: not revoked, a random STIX id,
    # `updated_at` the time of the insert.
    updated_at = once(13, timezone.now())
    rows = []
    for (type_, value), item, warnings, suppressed in new:
        rec = item.record
        tags = sorted(item.tags)
        rows.append(
            (
                prep(0, organisation_id),
                prep(1, community_id),
                prep(2, type_),
                once(3, value),
                prep(4, item.tlp),
                prep(5, tags, tuple(tags)),
                prep(6, rec.confidence),
                prep(7, rec.valid_from or now),
                prep(8, now),
                prep(9, item.valid_until),
                prep(10, False),
                once(11, warnings) if warnings else prep(11, warnings, ()),
                prep(12, suppressed),
                updated_at,
                once(14, uuid.uuid4()),
            )
        )
    ids = inserter.insert(rows)
    if not inserter.returning:
        # A backend that cannot return the ids of a multi-row INSERT (SQLite before 3.35):
        # read back by the unique (organisation, type, value).
        stored = _existing(organisation_id, [key for key, *_rest in new])
        ids = [stored[key].pk for key, *_rest in new]
    return ids


class _Statistics:
    """Keeps PostgreSQL's statistics of the indicator tables current during a large import.

    The per-chunk lookups (`value IN …` on the unique index, `indicator_id IN …` on the
    sources' one) are planned from the tables' statistics. Rows this transaction inserted
    are invisible to autovacuum until it commits, and a table never analysed (or analysed
    before the last large import) is planned as nearly empty: PostgreSQL then applied the
    900 values as a filter over every indicator of that type, or scanned all sources, once
    per chunk, and a 1,000,000-row import took 430 s (the same file again, 1,127 s). ANALYZE
    in the transaction counts its own rows: run at the start, then each time the rows
    inserted since the last run reach the table's size then (a few times per import).
    """

    def __init__(self, rows: int) -> None:
        self.connection = connections[router.db_for_write(Indicator)]
        self.enabled = self.connection.vendor == "postgresql" and rows >= ANALYZE_FROM
        self.inserted = 0
        self.next_at = ANALYZE_FROM
        if self.enabled:
            self._analyze()

    def added(self, rows: int) -> None:
        self.inserted += rows
        if self.enabled and self.inserted >= self.next_at:
            self._analyze()
            self.next_at = self.inserted * 2

    def _analyze(self) -> None:
        quote = self.connection.ops.quote_name
        tables = ", ".join(quote(m._meta.db_table) for m in (Indicator, IndicatorSource))
        with self.connection.cursor() as cursor:
            cursor.execute("ANALYZE " + tables)


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
        indicators = _Inserter(Indicator, _INDICATOR_COLUMNS, returning=True)
        sources = _Inserter(IndicatorSource, _SOURCE_COLUMNS, returning=False)
        statistics = _Statistics(len(keys))
        done = 0
        for chunk in _chunks(keys):
            existing = _existing(organisation.pk, list(chunk))
            new: list[tuple[tuple[str, str], _Merged, list[dict[str, str]], bool]] = []
            red: list[int] = []
            changed_rows: list[Indicator] = []  # written in full
            seen_ids: list[int] = []  # only `last_seen` moves
            ids: dict[tuple[str, str], int] = {}
            for key in chunk:
                item = merged[key]
                rec = item.record
                row = existing.get(key)
                warnings, flagged, suppressed = _warnings(index, rec)
                counts["flagged"] += int(flagged)
                if row is None:
                    new.append((key, item, warnings, suppressed))
                    continue
                ids[key] = row.pk
                tlp = _less_restrictive(row.tlp, item.tlp)
                tags = sorted(set(row.tags) | item.tags)
                valid_until = row.valid_until
                if item.valid_until is None or (
                    valid_until is not None and item.valid_until > valid_until
                ):
                    valid_until = item.valid_until
                before = (row.tlp, row.tags, row.valid_until, row.warnings, row.revoked)
                after = (tlp, tags, valid_until, warnings, False)
                changed = before != after
                counts["updated" if changed else "unchanged"] += 1
                if tlp == Tlp.RED:
                    red.append(row.pk)
                if changed or row.suppressed != suppressed:
                    changed_rows.append(
                        Indicator(
                            pk=row.pk,
                            tlp=tlp,
                            tags=tags,
                            valid_until=valid_until,
                            warnings=warnings,
                            suppressed=suppressed,
                            revoked=False,
                            last_seen=now,
                        )
                    )
                else:
                    seen_ids.append(row.pk)
            created = _create_indicators(indicators, organisation.pk, community, now, new)
            for (key, item, *_rest), pk in zip(new, created, strict=True):
                ids[key] = pk
                if item.tlp == Tlp.RED:
                    red.append(pk)
            counts["created"] += len(new)
            # RED reaches named people only: the person importing is the first one named.
            Indicator.recipients.through.objects.bulk_create(
                [
                    Indicator.recipients.through(indicator_id=pk, user_id=access.user.pk)
                    for pk in red
                ],
                batch_size=BATCH,
                ignore_conflicts=True,
            )
            if seen_ids:
                Indicator.objects.filter(pk__in=seen_ids).update(last_seen=now)
            update_rows(Indicator, changed_rows, _INDICATOR_UPDATED)
            _store_sources(
                sources,
                job,
                [(ids[key], merged[key], key in existing) for key in chunk],
                default_tlp,
                now,
            )
            statistics.added(len(new))
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
    inserter: _Inserter,
    job: IndicatorImport,
    rows: list[tuple[int, _Merged, bool]],
    default_tlp: str,
    now: datetime,
) -> None:
    """One source row per (indicator, source, external id): created, or its last sighting moved.

    `rows` are (indicator id, merged records, whether the indicator existed before this
    import): a new indicator has no source rows yet.
    """
    wanted: dict[tuple[int, str, str], tuple[str, str]] = {}
    for indicator_id, item, _existed in rows:
        for (source, external_id), rec in item.sources.items():
            tlp = str(rec.tlp) if rec.tlp is not None else default_tlp
            wanted[(indicator_id, source[:200], external_id[:200])] = (tlp, (rec.name or "")[:500])
    known = [indicator_id for indicator_id, _item, existed in rows if existed]
    present = IndicatorSource.objects.filter(indicator_id__in=known).values_list(
        "id", "indicator_id", "source", "external_id", "tlp", "name"
    )
    stale: list[IndicatorSource] = []
    seen: list[int] = []  # only the last sighting and import move
    for pk, indicator_id, source, external_id, tlp, name in present if known else ():
        new = wanted.pop((indicator_id, source, external_id), None)
        if new is None:
            continue
        if new == (tlp, name):
            seen.append(pk)
        else:
            stale.append(
                IndicatorSource(pk=pk, tlp=new[0], name=new[1], last_seen=now, last_import=job)
            )
    prep, once = inserter.prep, inserter.prep_once
    inserter.insert(
        [
            (
                once(0, indicator_id),
                once(1, source),
                once(2, external_id),
                prep(3, tlp),
                once(4, name),
                prep(5, now),
                prep(6, now),
                prep(7, job.pk),
            )
            for (indicator_id, source, external_id), (tlp, name) in wanted.items()
        ]
    )
    if seen:
        IndicatorSource.objects.filter(pk__in=seen).update(last_seen=now, last_import=job)
    update_rows(IndicatorSource, stale, ("tlp", "name", "last_seen", "last_import"))

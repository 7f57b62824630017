"""The sensor's local indicator store: what `vigie sensor pull` fetched, ready to match.

One SQLite file (`VIGIE_HOME/sensor/indicators.sqlite3`, owner-only) holding, per source (a
TAXII collection or a local indicator file), the values to match and, for TAXII, where the
next pull resumes:

* `sources`: one row per collection URL or file path, with `position` (the newest TAXII
  `date_added` committed) and `complete` (whether the last page committed was the last one);
* `indicators`: one row per STIX indicator id pulled over TAXII, with its `modified`, whether
  it is revoked (a tombstone, so that an older copy read again later, from an overlapping page
  or another collection, cannot bring it back) and the source its values came from;
* `indicator_values`: the values to match, already normalised by the engine's readers, so
  loading them is a table scan with no parsing: type, value, the indicator id a sighting
  names, and `valid_until` (epoch seconds; expired values are kept, counted, not matched).

A pull commits each page together with the position it reached, in one transaction, so a
pull killed at any moment leaves the store as it was after some page, and the next pull
resumes there. Re-reading a page is harmless: a version is only written when it is newer than
the stored one.

Errors are `StoreError` codes; the commands render them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from vigie.engines.indicators import IndicatorRecord, IndicatorType, ReadResult, WarningIndex
from vigie.engines.indicators.stix import read_stix_parsed
from vigie.engines.indicators.text import parse_datetime
from vigie.sensor.matcher import IndicatorSet

__all__ = [
    "SCHEMA_VERSION",
    "FileCounts",
    "IndicatorStore",
    "LoadCounts",
    "PageCounts",
    "SourceState",
    "StoreError",
]

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 30_000  # a scan reading while a pull writes waits, rather than failing
_FETCH = 20_000  # rows per fetchmany while loading: few round trips, bounded memory
_INVALID_CODES = frozenset({"bad_stix_object", "bad_pattern"})

_SCHEMA = (
    # sources: one per collection URL or file path; `position` is the newest TAXII
    # date_added committed, as the server wrote it.
    """CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        name TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL DEFAULT '',
        position TEXT NOT NULL DEFAULT '',
        complete INTEGER NOT NULL DEFAULT 0,
        pulled_at TEXT NOT NULL DEFAULT ''
    )""",
    # modified: fixed-width UTC text, so text order is time order.
    """CREATE TABLE indicators (
        stix_id TEXT PRIMARY KEY,
        source INTEGER NOT NULL REFERENCES sources (id),
        modified TEXT NOT NULL,
        revoked INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID""",
    "CREATE INDEX indicators_source ON indicators (source)",
    # indicator_id: the STIX id (TAXII), the file's id column, or NULL; valid_until: epoch
    # seconds, NULL for no end.
    """CREATE TABLE indicator_values (
        source INTEGER NOT NULL REFERENCES sources (id),
        indicator_id TEXT,
        type TEXT NOT NULL,
        value TEXT NOT NULL,
        valid_until REAL
    )""",
    "CREATE INDEX indicator_values_owner ON indicator_values (indicator_id, source)",
    "CREATE INDEX indicator_values_source ON indicator_values (source)",
)


class StoreError(Exception):
    """`code`: unreadable (not an SQLite store, or the OS refused), newer_schema, failed (an
    SQLite error while reading or writing: disk full, locked too long)."""

    def __init__(self, code: str, **params: str | int) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass(frozen=True, slots=True)
class SourceState:
    id: int
    name: str
    position: str
    complete: bool

    @property
    def added_after(self) -> str | None:
        """What to send as `added_after` next, None for everything.

        After a complete pull, the position itself. After a pull cut short, one microsecond
        earlier: `added_after` is exclusive, and objects sharing the last committed page's
        `date_added` may have been on the next page; reading them again costs nothing.
        """
        if not self.position:
            return None
        if self.complete:
            return self.position
        moment = parse_datetime(self.position)
        if moment is None:
            return None
        return _stamp(moment - timedelta(microseconds=1))


@dataclass(frozen=True, slots=True)
class _Version:
    stix_id: str
    modified: str  # _stamp form
    revoked: bool


@dataclass(slots=True)
class PageCounts:
    objects: int = 0  # objects read (every type)
    added: int = 0  # indicators new to the store
    updated: int = 0  # a newer version replaced the stored one
    revoked: int = 0
    expired: int = 0  # written, but already past valid_until
    unchanged: int = 0  # the stored version is as new (an overlap, or another collection)
    not_matched: int = 0  # a valid pattern with no value a matcher applies (AND, ...)
    invalid: int = 0  # refused by the STIX reader: the stored version, if any, stays

    def add(self, other: PageCounts) -> None:
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(slots=True)
class FileCounts:
    loaded: int = 0  # value rows written
    expired: int = 0
    replaced: int = 0  # rows the file had loaded last time, removed


@dataclass(slots=True)
class LoadCounts:
    loaded: int = 0
    expired: int = 0
    duplicates: int = 0  # already in the set, or of a shape the matcher cannot apply
    suppressed: dict[str, int] = field(default_factory=dict)  # warning list -> count
    suppressed_examples: dict[str, str] = field(default_factory=dict)

    @property
    def stored(self) -> int:
        return self.loaded + self.expired + self.duplicates + sum(self.suppressed.values())


def _stamp(moment: datetime) -> str:
    # Fixed width, microseconds always written: text comparison is time comparison.
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def _create_owner_only(path: Path) -> None:
    # Created with mode 0600 before SQLite opens it: its -wal and -shm files take the
    # database's mode, and indicators shared under TLP must not be readable by others.
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(descriptor)


class IndicatorStore:
    """The open store. Use as a context manager, or call `close`."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> IndicatorStore:
        """Open (creating when `create`) the store at `path`; `StoreError` when it cannot be
        used. Without `create`, a missing file is `FileNotFoundError`."""
        try:
            if create:
                _create_owner_only(path)
            elif not path.is_file():
                raise FileNotFoundError(str(path))
            connection = sqlite3.connect(path, isolation_level=None)
        except OSError as error:
            if isinstance(error, FileNotFoundError) and not create:
                raise
            raise StoreError("unreadable", path=str(path), reason=str(error)[:200]) from None
        except sqlite3.Error as error:
            raise StoreError("unreadable", path=str(path), reason=str(error)[:200]) from None
        store = cls(connection, path)
        try:
            store._prepare(create=create)
        except sqlite3.Error as error:
            connection.close()
            raise StoreError("unreadable", path=str(path), reason=str(error)[:200]) from None
        except (StoreError, FileNotFoundError):
            connection.close()
            raise
        return store

    def _prepare(self, *, create: bool) -> None:
        db = self._db
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if version == 0 and not create:
            # Created by a pull that was killed before its first commit: nothing stored yet.
            raise FileNotFoundError(str(self.path))
        if version > SCHEMA_VERSION:
            raise StoreError("newer_schema", path=str(self.path), version=version)
        if create:
            # WAL: a scan or watch reads while a pull writes; NORMAL sync is still atomic
            # per transaction in WAL mode (a power cut may lose the last page, not corrupt).
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
        if version == 0 and create:
            with self._transaction():
                # Re-read inside the write lock: two first pulls must not both create.
                if int(db.execute("PRAGMA user_version").fetchone()[0]) == 0:
                    for statement in _SCHEMA:
                        db.execute(statement)
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _transaction(self, *, read_only: bool = False) -> _Transaction:
        return _Transaction(self._db, self.path, read_only=read_only)

    # Sources.

    def source(self, kind: str, name: str, title: str = "") -> SourceState:
        """The source's state, created on first use."""
        db = self._db
        with self._transaction():
            db.execute(
                "INSERT INTO sources (kind, name, title) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET title = excluded.title",
                (kind, name, title),
            )
            row = db.execute(
                "SELECT id, name, position, complete FROM sources WHERE name = ?", (name,)
            ).fetchone()
        return SourceState(int(row[0]), str(row[1]), str(row[2]), bool(row[3]))

    def reset(self, source: SourceState) -> SourceState:
        """Forget what the source brought and where it stopped (`pull --full`)."""
        db = self._db
        with self._transaction():
            db.execute("DELETE FROM indicator_values WHERE source = ?", (source.id,))
            db.execute("DELETE FROM indicators WHERE source = ?", (source.id,))
            db.execute("UPDATE sources SET position = '', complete = 0 WHERE id = ?", (source.id,))
        return SourceState(source.id, source.name, "", False)

    # Writing a TAXII page.

    def apply_stix_page(
        self,
        source: SourceState,
        objects: Sequence[dict[str, Any]],
        *,
        position: str,
        complete: bool,
        now: datetime,
    ) -> tuple[PageCounts, SourceState]:
        """Write one page of STIX objects and the position it reached, in one transaction.

        Only indicators newer than the stored version go through the engine's STIX reader
        (the costly part: each object is validated): an overlapping page, or the same
        indicator served again by another collection, costs one indexed lookup.
        """
        counts = PageCounts(objects=len(objects))
        newest: dict[str, tuple[str, dict[str, Any]]] = {}
        for obj in objects:
            stix_id = obj.get("id")
            if obj.get("type") != "indicator" or not isinstance(stix_id, str):
                continue  # identities and marking definitions: nothing to match
            raw = obj.get("modified") or obj.get("created")
            parsed = parse_datetime(raw) if isinstance(raw, str) else None
            if parsed is None:
                counts.invalid += 1
                continue
            modified = _stamp(parsed)
            held = newest.get(stix_id)
            if held is not None:
                counts.unchanged += 1  # two versions in one page: the newer one counts
            if held is None or held[0] < modified:
                newest[stix_id] = (modified, obj)
        moment = now.timestamp()
        with self._transaction():
            stored = self._stored_versions(list(newest))
            fresh = {
                stix_id: item
                for stix_id, item in newest.items()
                if stix_id not in stored or stored[stix_id][0] < item[0]
            }
            counts.unchanged += len(newest) - len(fresh)
            read = read_stix_parsed(
                {
                    "type": "bundle",
                    "id": "bundle--00000000-0000-4000-8000-000000000000",
                    "objects": [obj for _modified, obj in fresh.values()],
                }
            )
            invalid = {
                problem.object_id
                for problem in read.problems
                if problem.code in _INVALID_CODES and problem.object_id
            }
            records: dict[str, list[IndicatorRecord]] = {}
            for record in read.records:
                if record.external_id is not None:
                    records.setdefault(record.external_id, []).append(record)
            for stix_id, (modified, obj) in fresh.items():
                if stix_id in invalid:
                    counts.invalid += 1  # the stored version, if any, stays
                    continue
                self._apply_indicator(
                    source.id,
                    _Version(stix_id, modified, obj.get("revoked") is True),
                    stored.get(stix_id),
                    records.get(stix_id, []),
                    moment,
                    counts,
                )
            new_position = position or source.position
            self._db.execute(
                "UPDATE sources SET position = ?, complete = ?, pulled_at = ? WHERE id = ?",
                (new_position, int(complete), _stamp(now), source.id),
            )
        return counts, SourceState(source.id, source.name, new_position, complete)

    def _stored_versions(self, ids: list[str]) -> dict[str, tuple[str, int]]:
        # One query for the page (ids as a JSON array: no statement built from data).
        rows = self._db.execute(
            "SELECT stix_id, modified, source FROM indicators "
            "WHERE stix_id IN (SELECT value FROM json_each(?))",
            (json.dumps(ids),),
        )
        return {str(stix_id): (str(modified), int(source)) for stix_id, modified, source in rows}

    def _apply_indicator(
        self,
        source_id: int,
        version: _Version,
        previous: tuple[str, int] | None,
        values: list[IndicatorRecord],
        moment: float,
        counts: PageCounts,
    ) -> None:
        db = self._db
        stix_id = version.stix_id
        if previous is not None:
            db.execute(
                "DELETE FROM indicator_values WHERE indicator_id = ? AND source = ?",
                (stix_id, previous[1]),
            )
        db.execute(
            "INSERT INTO indicators (stix_id, source, modified, revoked) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (stix_id) DO UPDATE SET source = excluded.source, "
            "modified = excluded.modified, revoked = excluded.revoked",
            (stix_id, source_id, version.modified, int(version.revoked)),
        )
        if version.revoked:
            counts.revoked += 1
            return
        if not values:
            counts.not_matched += 1
        elif values[0].valid_until is not None and values[0].valid_until.timestamp() <= moment:
            counts.expired += 1
        if previous is None:
            counts.added += 1
        else:
            counts.updated += 1
        db.executemany(
            "INSERT INTO indicator_values (source, indicator_id, type, value, valid_until) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (source_id, stix_id, record.type.value, record.value, _epoch(record.valid_until))
                for record in values
            ],
        )

    # Writing a local file.

    def replace_file(self, path: Path, read: ReadResult, now: datetime) -> FileCounts:
        """Replace what this file loaded last time with what it holds now, atomically."""
        counts = FileCounts()
        moment = now.timestamp()
        name = str(path.resolve())
        source = self.source("file", name, path.name)
        db = self._db
        with self._transaction():
            counts.replaced = int(
                db.execute(
                    "SELECT count(*) FROM indicator_values WHERE source = ?", (source.id,)
                ).fetchone()[0]
            )
            db.execute("DELETE FROM indicator_values WHERE source = ?", (source.id,))
            rows = []
            for record in read.records:
                until = _epoch(record.valid_until)
                if until is not None and until <= moment:
                    counts.expired += 1
                rows.append((source.id, record.external_id, record.type.value, record.value, until))
            db.executemany(
                "INSERT INTO indicator_values (source, indicator_id, type, value, valid_until) "
                "VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            counts.loaded = len(rows)
            db.execute(
                "UPDATE sources SET complete = 1, pulled_at = ? WHERE id = ?",
                (_stamp(now), source.id),
            )
        return counts

    # Reading.

    def count(self) -> int:
        """Value rows stored (expired ones included)."""
        with self._transaction(read_only=True):
            row = self._db.execute("SELECT count(*) FROM indicator_values").fetchone()
        return int(row[0])

    def sources(self) -> list[SourceState]:
        with self._transaction(read_only=True):
            rows = self._db.execute(
                "SELECT id, name, position, complete FROM sources ORDER BY id"
            ).fetchall()
        return [SourceState(int(r[0]), str(r[1]), str(r[2]), bool(r[3])) for r in rows]

    def _rows(self, moment: float) -> Iterator[list[tuple[str, str, str | None]]]:
        cursor = self._db.execute(
            "SELECT type, value, indicator_id FROM indicator_values "
            "WHERE valid_until IS NULL OR valid_until > ?",
            (moment,),
        )
        while batch := cursor.fetchmany(_FETCH):
            yield batch

    def load_into(
        self, indicators: IndicatorSet, warnings: WarningIndex | None, now: datetime
    ) -> LoadCounts:
        """Add every stored value still valid at `now` to `indicators`, leaving out those a
        warning list flags as false positives (counted per list, with a first example).

        The values are stored normalised, so this is a scan and a dict insert per row: the
        engine's readers never run again at load time.
        """
        counts = LoadCounts()
        moment = now.timestamp()
        with self._transaction(read_only=True):
            counts.expired = int(
                self._db.execute(
                    "SELECT count(*) FROM indicator_values WHERE valid_until <= ?", (moment,)
                ).fetchone()[0]
            )
            self._load_rows(indicators, warnings, moment, counts)
        return counts

    def _load_rows(
        self,
        indicators: IndicatorSet,
        warnings: WarningIndex | None,
        moment: float,
        counts: LoadCounts,
    ) -> None:
        add = indicators.add
        # One str object per type for the whole set (the matcher keeps one per entry), and
        # the engine's enum for the warning lists.
        kinds: dict[str, tuple[str, IndicatorType | None]] = {}
        check = warnings.check if warnings is not None else None
        loaded = duplicates = 0
        for batch in self._rows(moment):
            for type_text, value, indicator_id in batch:
                kind = kinds.get(type_text)
                if kind is None:
                    kind = kinds[type_text] = _kind(type_text)
                if check is not None and kind[1] is not None:
                    hits = [h for h in check(kind[1], value) if h.category == "false-positive"]
                    if hits:
                        name = hits[0].list_name
                        counts.suppressed[name] = counts.suppressed.get(name, 0) + 1
                        counts.suppressed_examples.setdefault(name, value)
                        continue
                if add(kind[0], value, indicator_id):
                    loaded += 1
                else:
                    duplicates += 1
        counts.loaded = loaded
        counts.duplicates = duplicates


def _kind(type_text: str) -> tuple[str, IndicatorType | None]:
    try:
        member: IndicatorType | None = IndicatorType(type_text)
    except ValueError:
        member = None
    return sys.intern(type_text), member


class _Transaction:
    """`BEGIN IMMEDIATE` … `COMMIT`, or `ROLLBACK` on any error: a writer takes the write
    lock at once, so two pulls queue (up to the busy timeout) instead of failing half-way; a
    reader (`read_only`) gets one snapshot for its count and its scan. An SQLite error (disk
    full, a lock held too long, a damaged file) becomes `StoreError("failed")`."""

    def __init__(self, db: sqlite3.Connection, path: Path, *, read_only: bool = False) -> None:
        self._db = db
        self._path = path
        self._begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"

    def _failed(self, error: sqlite3.Error) -> StoreError:
        return StoreError("failed", path=str(self._path), reason=str(error)[:200])

    def _rollback(self) -> None:
        # SQLite may have rolled back already (disk full does): then there is nothing to end.
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def __enter__(self) -> None:
        try:
            self._db.execute(self._begin)
        except sqlite3.Error as error:
            raise self._failed(error) from None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if kind is None:
                self._db.execute("COMMIT")
                return
            self._rollback()
        except sqlite3.Error as failed:
            raise self._failed(failed) from None
        if isinstance(error, sqlite3.Error):
            raise self._failed(error) from None

"""The sensor's local queue: sightings waiting to leave, and the positions reached in watched
logs, in one SQLite file (`VIGIE_HOME/sensor/queue.sqlite3`).

Why one file: `vigie sensor watch` stores the sightings found in a stretch of log and the
position reached after it in the same transaction (`transaction()` + `enqueue(..., conn)` +
`save_position`), so a crash at any moment keeps both or neither: a line is never counted
twice, never lost.

Each queued sighting gets its own idempotency key when it is queued, and the exact JSON body
that will be sent is frozen with it: a retry, even by a later version of the sensor, sends
the same report under the same key, which the platform counts once (a different body under a
used key would be refused 409 and the sighting lost).

Durability: WAL with `synchronous=FULL`. With WAL, NORMAL keeps the file consistent but may
lose the last commits on a power cut; a batch `scan` does not read its logs again, so a lost
commit would be a lost sighting. FULL costs one fsync per commit, which the volumes here (a
commit per poll or per sending) easily afford. The file holds what was seen under TLP: it is
created owner-only (SQLite gives its -wal and -shm files the database file's mode).

States of a sighting: `pending` (to send, at `next_attempt_at`), `sent` (kept a few days for
`vigie sensor status`, then purged), `rejected` (refused by the platform for what it is, with
the error code; never retried). Errors are codes, never sentences.
"""

from __future__ import annotations

import os
import sqlite3
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

import orjson

__all__ = [
    "PENDING",
    "REJECTED",
    "SCHEMA_VERSION",
    "SENT",
    "STATES",
    "Aggregate",
    "Position",
    "QueueError",
    "QueueSummary",
    "QueuedSighting",
    "SightingQueue",
    "report_body",
]

SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 30.0  # watch's sender thread, a `send` and a `scan` may write at once
KEY_PREFIX = "vs-"

PENDING = "pending"
SENT = "sent"
REJECTED = "rejected"
STATES = (PENDING, SENT, REJECTED)

# The TLP a sighting is reported under: what an establishment saw in its logs goes to its own
# people and its support centre, not further (the platform's default too).
SIGHTING_TLP = "amber+strict"

_SCHEMA = f"""
CREATE TABLE sightings (
    id INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    indicator_id TEXT,
    type TEXT NOT NULL,
    value TEXT NOT NULL,
    log_type TEXT NOT NULL,
    count INTEGER NOT NULL CHECK (count >= 1),
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    body TEXT NOT NULL,
    queued_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_attempt_at REAL,
    state TEXT NOT NULL DEFAULT '{PENDING}'
        CHECK (state IN ('{PENDING}', '{SENT}', '{REJECTED}')),
    last_error TEXT,
    last_status INTEGER,
    sent_at REAL
);
CREATE INDEX sightings_due ON sightings (state, next_attempt_at, id);
CREATE TABLE watched_files (
    path TEXT PRIMARY KEY,
    device INTEGER NOT NULL,
    inode INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    line INTEGER NOT NULL,
    format TEXT NOT NULL,
    updated_at REAL NOT NULL
);
"""


class QueueError(Exception):
    """`code`: newer_schema (the file was written by a later sensor)."""

    def __init__(self, code: str, **params: str | int) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Aggregate:
    """What leaves the establishment for one indicator and log type: a count and the first
    and last time seen (epoch seconds, UTC); never a log line."""

    indicator_id: str | None
    type: str
    value: str
    log_type: str
    count: int
    first_seen: float
    last_seen: float


class Position(NamedTuple):
    """How far a watched log was read (see `vigie.sensor.follow.Position`)."""

    device: int
    inode: int
    offset: int
    line: int
    format: str
    updated_at: float


@dataclass(frozen=True, slots=True)
class QueuedSighting:
    """One row of the queue. Times are epoch seconds (UTC)."""

    id: int
    key: str
    indicator_id: str | None
    type: str
    value: str
    log_type: str
    count: int
    first_seen: float
    last_seen: float
    body: str
    queued_at: float
    attempts: int
    next_attempt_at: float
    last_attempt_at: float | None
    state: str
    last_error: str | None
    last_status: int | None
    sent_at: float | None


@dataclass(frozen=True, slots=True)
class QueueSummary:
    """What `vigie sensor status` shows of the queue."""

    counts: dict[str, int]
    oldest_pending: float | None  # when the oldest pending sighting was queued
    next_attempt: float | None  # the earliest next attempt of a pending sighting
    last_error: str | None  # of the sighting that failed last (pending or rejected)
    last_error_at: float | None
    last_sent_at: float | None


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat()


def report_body(item: Aggregate) -> str:
    """The JSON body of `POST /api/v1/organisations/{slug}/sightings` for one aggregate."""
    body: dict[str, str | int] = {
        "type": item.type,
        "value": item.value,
        "log_type": item.log_type,
        "count": item.count,
        "first_seen": _iso(item.first_seen),
        "last_seen": _iso(item.last_seen),
        "tlp": SIGHTING_TLP,
        "source": "sensor",
    }
    if item.indicator_id:
        body["indicator_id"] = item.indicator_id
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode()


def _row(values: tuple[Any, ...]) -> QueuedSighting:
    # `SELECT *`: the columns in the order the table declares them (a later version adds
    # its columns at the end, with ALTER TABLE, so these first ones keep their places).
    (id_, key, indicator_id, type_, value, log_type, count, first, last, body, queued) = values[:11]
    attempts, next_at, last_at, state, error, status, sent = values[11:18]
    return QueuedSighting(
        id=int(id_),
        key=str(key),
        indicator_id=None if indicator_id is None else str(indicator_id),
        type=str(type_),
        value=str(value),
        log_type=str(log_type),
        count=int(count),
        first_seen=float(first),
        last_seen=float(last),
        body=str(body),
        queued_at=float(queued),
        attempts=int(attempts),
        next_attempt_at=float(next_at),
        last_attempt_at=None if last_at is None else float(last_at),
        state=str(state),
        last_error=None if error is None else str(error),
        last_status=None if status is None else int(status),
        sent_at=None if sent is None else float(sent),
    )


def _create_private(path: Path) -> None:
    # Created owner-only before SQLite opens it; an existing file is narrowed too, as one
    # left readable by others would show what was seen in the establishment's logs.
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
    finally:
        os.close(descriptor)


class SightingQueue:
    """The queue at `path` (its directory must exist: `SensorConfig.ensure_state_dir`).

    One connection, used from the thread that opened it (SQLite's rule): a thread that sends
    while another watches opens its own `SightingQueue` on the same file. Several processes
    may use the file at once: writes take the lock up front (`BEGIN IMMEDIATE`) and wait up
    to `BUSY_TIMEOUT_S` for it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        _create_private(self.path)
        # Autocommit at the driver level: this class opens its own transactions explicitly,
        # so that each one takes the write lock at its start (no deadlock on upgrade).
        self._conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = FULL")
            self._migrate()
        except BaseException:
            self._conn.close()
            raise

    def _migrate(self) -> None:
        with self.transaction() as conn:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise QueueError("newer_schema", version=version, known=SCHEMA_VERSION)
            if version == 0:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> SightingQueue:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (`BEGIN IMMEDIATE`): committed when the block ends, rolled
        back if it raises."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # --- Sightings -----------------------------------------------------------------------

    def enqueue(
        self, aggregates: Iterable[Aggregate], conn: sqlite3.Connection | None = None
    ) -> int:
        """Queue one sighting per aggregate, each with a new idempotency key; the number
        queued. With `conn` (from `transaction()`), inside the caller's transaction, which
        the caller commits; otherwise in a transaction of its own."""
        if conn is None:
            with self.transaction() as own:
                return self._insert(own, aggregates)
        return self._insert(conn, aggregates)

    @staticmethod
    def _insert(conn: sqlite3.Connection, aggregates: Iterable[Aggregate]) -> int:
        now = time.time()
        rows = [
            (
                KEY_PREFIX + uuid.uuid4().hex,
                item.indicator_id,
                item.type,
                item.value,
                item.log_type,
                item.count,
                item.first_seen,
                item.last_seen,
                report_body(item),
                now,
                now,
            )
            for item in aggregates
        ]
        conn.executemany(
            "INSERT INTO sightings (idempotency_key, indicator_id, type, value, log_type, count,"
            " first_seen, last_seen, body, queued_at, next_attempt_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        return len(rows)

    def due(self, now: float, limit: int) -> list[QueuedSighting]:
        """Pending sightings whose next attempt has come, the earliest first (queue order
        among those never tried)."""
        cursor = self._conn.execute(
            "SELECT * FROM sightings WHERE state = ? AND next_attempt_at <= ?"
            " ORDER BY next_attempt_at, id LIMIT ?",
            (PENDING, now, limit),
        )
        return [_row(values) for values in cursor.fetchall()]

    def get(self, key: str) -> QueuedSighting | None:
        found = self._conn.execute(
            "SELECT * FROM sightings WHERE idempotency_key = ?", (key,)
        ).fetchone()
        return None if found is None else _row(found)

    def rows(self, state: str | None = None) -> list[QueuedSighting]:
        """Every sighting (in a state), in queue order."""
        if state is None:
            cursor = self._conn.execute("SELECT * FROM sightings ORDER BY id")
        else:
            cursor = self._conn.execute(
                "SELECT * FROM sightings WHERE state = ? ORDER BY id", (state,)
            )
        return [_row(values) for values in cursor.fetchall()]

    def mark_sent(self, key: str, when: float, status: int = 200) -> None:
        """The platform has it. A sighting rejected meanwhile by another sender stays so."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE sightings SET state = ?, sent_at = ?, last_attempt_at = ?,"
                " attempts = attempts + 1, last_status = ? WHERE idempotency_key = ?"
                " AND state = ?",
                (SENT, when, when, status, key, PENDING),
            )

    def mark_retry(
        self,
        key: str,
        error_code: str,
        next_at: float,
        *,
        status: int | None = None,
        when: float | None = None,
    ) -> None:
        """A try failed for a passing reason: one more attempt counted, the next at
        `next_at`."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE sightings SET attempts = attempts + 1, next_attempt_at = ?,"
                " last_error = ?, last_status = ?, last_attempt_at = ?"
                " WHERE idempotency_key = ? AND state = ?",
                (next_at, error_code, status, time.time() if when is None else when, key, PENDING),
            )

    def mark_rejected(
        self, key: str, error_code: str, *, status: int | None = None, when: float | None = None
    ) -> None:
        """The platform refused this sighting for what it is: kept, with the code, never
        sent again."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE sightings SET state = ?, attempts = attempts + 1, last_error = ?,"
                " last_status = ?, last_attempt_at = ? WHERE idempotency_key = ? AND state = ?",
                (
                    REJECTED,
                    error_code,
                    status,
                    time.time() if when is None else when,
                    key,
                    PENDING,
                ),
            )

    def defer(self, keys: Iterable[str], until: float) -> None:
        """Postpone pending sightings not tried (the platform is away for all of them): their
        next attempt is not before `until`; their attempts are not counted."""
        with self.transaction() as conn:
            conn.executemany(
                "UPDATE sightings SET next_attempt_at = MAX(next_attempt_at, ?)"
                " WHERE idempotency_key = ? AND state = ?",
                [(until, key, PENDING) for key in keys],
            )

    def counts(self) -> dict[str, int]:
        """Sightings per state (each state present, zero or not)."""
        found = dict.fromkeys(STATES, 0)
        for state, number in self._conn.execute(
            "SELECT state, COUNT(*) FROM sightings GROUP BY state"
        ):
            found[str(state)] = int(number)
        return found

    def purge_sent(self, older_than: float) -> int:
        """Forget sightings sent before `older_than`; the number forgotten."""
        with self.transaction() as conn:
            cursor = conn.execute(
                "DELETE FROM sightings WHERE state = ? AND sent_at < ?", (SENT, older_than)
            )
            return cursor.rowcount

    def summary(self) -> QueueSummary:
        conn = self._conn
        oldest, next_at = conn.execute(
            "SELECT MIN(queued_at), MIN(next_attempt_at) FROM sightings WHERE state = ?",
            (PENDING,),
        ).fetchone()
        failed = conn.execute(
            "SELECT last_error, last_attempt_at FROM sightings WHERE last_error IS NOT NULL"
            " AND state != ? ORDER BY last_attempt_at DESC, id DESC LIMIT 1",
            (SENT,),
        ).fetchone()
        (last_sent,) = conn.execute(
            "SELECT MAX(sent_at) FROM sightings WHERE state = ?", (SENT,)
        ).fetchone()
        return QueueSummary(
            counts=self.counts(),
            oldest_pending=None if oldest is None else float(oldest),
            next_attempt=None if next_at is None else float(next_at),
            last_error=None if failed is None else str(failed[0]),
            last_error_at=None if failed is None or failed[1] is None else float(failed[1]),
            last_sent_at=None if last_sent is None else float(last_sent),
        )

    # --- Watched files -------------------------------------------------------------------

    def save_position(
        self,
        conn: sqlite3.Connection,
        path: str,
        device: int,
        inode: int,
        offset: int,
        line: int,
        format: str,
    ) -> None:
        """Store how far `path` was read, inside the caller's transaction (with the
        sightings found before that position)."""
        conn.execute(
            "INSERT INTO watched_files (path, device, inode, offset, line, format, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET"
            " device = excluded.device, inode = excluded.inode, offset = excluded.offset,"
            " line = excluded.line, format = excluded.format, updated_at = excluded.updated_at",
            (path, device, inode, offset, line, format, time.time()),
        )

    def positions(self) -> dict[str, Position]:
        """Every watched file's position, by path."""
        return {
            str(path): Position(
                int(device), int(inode), int(offset), int(line), str(format_), float(updated)
            )
            for path, device, inode, offset, line, format_, updated in self._conn.execute(
                "SELECT path, device, inode, offset, line, format, updated_at"
                " FROM watched_files ORDER BY path"
            )
        }

    def forget_position(self, conn: sqlite3.Connection, path: str) -> None:
        conn.execute("DELETE FROM watched_files WHERE path = ?", (path,))

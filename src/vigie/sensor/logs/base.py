"""What every log scanner shares: the sighting record, the field kinds, timestamps.

A scanner reads a chunk of physical lines and appends one `Hit` per (line, indicator). It
never raises on a line it does not understand: it counts it (`Chunk.not_understood`).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import UTC, datetime
from typing import NamedTuple, Protocol

__all__ = [
    "Chunk",
    "Hit",
    "Scanner",
    "emit",
    "iso_timestamp",
    "syslog_timestamp",
]


class Hit(NamedTuple):
    line: int  # 1-based physical line of the decompressed file
    entry: int  # the indicator (IndicatorSet position)
    field: str  # the log field that matched, as the log names it
    observed: str  # the value seen in the log
    log_type: str  # the platform's log types: dns, http, tls, conn, files, proxy, firewall...
    seen: float | None  # when the log says it happened (Unix time), None when it does not


class Chunk:
    """The outcome of one chunk: hits, lines read per log type, lines not understood."""

    __slots__ = ("hits", "lines", "not_understood")

    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.lines: Counter[str] = Counter()
        self.not_understood = 0


class Scanner(Protocol):
    format: str  # zeek-tsv, zeek-json, suricata-eve, squid, bind, firewall

    def scan(self, lines: list[bytes], first: int, out: Chunk) -> None:
        """Scan `lines` (the first is physical line `first`), adding to `out`."""


def iso_timestamp(text: str) -> float | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_SYSLOG = re.compile(rb"([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d)")
_BIND_NATIVE = re.compile(rb"(\d\d)-([A-Z][a-z]{2})-(\d{4}) (\d\d):(\d\d):(\d\d)(\.\d+)?")
_ISO_START = re.compile(rb"\d{4}-\d\d-\d\dT\S+")


def syslog_timestamp(line: bytes) -> float | None:
    """The time at the start of a syslog or BIND line: `Jul 24 14:16:55` (the year is not
    written: this year, or last year for a date that would be in the future), the BIND
    native `23-Aug-2013 10:32:56.621`, or an RFC 3339 stamp (rsyslog's high precision)."""
    if match := _ISO_START.match(line):
        return iso_timestamp(match.group().decode("ascii", "replace"))
    if match := _BIND_NATIVE.match(line):
        day, month, year, hour, minute, second, fraction = match.groups()
        number = _MONTHS.get(month.decode().lower())
        if number is None:
            return None
        moment = datetime(
            int(year), number, int(day), int(hour), int(minute), int(second), tzinfo=UTC
        )
        return moment.timestamp() + (float(fraction) if fraction else 0.0)
    if match := _SYSLOG.match(line):
        month, day, hour, minute, second = match.groups()
        number = _MONTHS.get(month.decode().lower())
        if number is None:
            return None
        now = time.time()
        year = datetime.fromtimestamp(now, UTC).year
        try:
            moment = datetime(
                year, number, int(day), int(hour), int(minute), int(second), tzinfo=UTC
            )
        except ValueError:
            return None
        if moment.timestamp() > now + 86400:
            moment = moment.replace(year=year - 1)
        return moment.timestamp()
    return None


def emit(
    hits: list[Hit],
    line: int,
    matched: list[tuple[int, str, str]],
    log_type: str,
    seen: float | None,
) -> None:
    """One hit per (line, indicator): the first field that matched names it."""
    done: set[int] = set()
    for entry, field, observed in matched:
        if entry not in done:
            done.add(entry)
            hits.append(Hit(line, entry, field, observed, log_type, seen))

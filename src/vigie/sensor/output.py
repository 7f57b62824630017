"""What the sensor writes: a sighting per (line, indicator) for the person at the console
(JSONL or a table, local only), and the aggregates that leave the establishment (per
indicator and log type: a count and first and last seen; never a log line)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TextIO

import orjson

from vigie.sensor.logs.base import Hit
from vigie.sensor.matcher import IndicatorSet
from vigie.sensor.queue import Aggregate

__all__ = ["OnHits", "Totals", "aggregate", "describe", "hit_writer"]

OnHits = Callable[[list[Hit]], None]


def _jsonl(out: TextIO, path: str, indicators: IndicatorSet) -> OnHits:
    values, types, ids = indicators.values, indicators.types, indicators.ids
    write = out.write

    def on_hits(hits: list[Hit]) -> None:
        write(
            "".join(
                orjson.dumps(
                    {
                        "file": path,
                        "line": hit.line,
                        "indicator": values[hit.entry],
                        "indicator_id": ids[hit.entry],
                        "type": types[hit.entry],
                        "observed": hit.observed,
                        "field": hit.field,
                        "log_type": hit.log_type,
                    }
                ).decode()
                + "\n"
                for hit in hits
            )
        )

    return on_hits


def _table(out: TextIO, path: str, indicators: IndicatorSet) -> OnHits:
    def on_hits(hits: list[Hit]) -> None:
        for hit in hits:
            out.write(
                f"{path}:{hit.line}\t{indicators.types[hit.entry]}\t"
                f"{indicators.values[hit.entry]}\t{hit.field}={hit.observed}\n"
            )

    return on_hits


def hit_writer(kind: str, out: TextIO, path: str, indicators: IndicatorSet) -> OnHits:
    """`kind`: jsonl (docs INTERFACES, "vigie sensor scan") or table."""
    return (_jsonl if kind == "jsonl" else _table)(out, path, indicators)


class Totals:
    """Hits summed per (indicator, log type) as they come, chunk after chunk."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[int, str], list[float]] = {}

    def add(self, hits: Iterable[Hit], now: float) -> None:
        by_key = self.by_key
        for hit in hits:
            seen = hit.seen if hit.seen is not None else now
            item = by_key.get((hit.entry, hit.log_type))
            if item is None:
                by_key[(hit.entry, hit.log_type)] = [1.0, seen, seen]
            else:
                item[0] += 1
                item[1] = min(item[1], seen)
                item[2] = max(item[2], seen)

    def aggregates(self, indicators: IndicatorSet) -> list[Aggregate]:
        return [
            Aggregate(
                indicator_id=indicators.ids[entry],
                type=indicators.types[entry],
                value=indicators.values[entry],
                log_type=log_type,
                count=int(count),
                first_seen=first,
                last_seen=last,
            )
            for (entry, log_type), (count, first, last) in sorted(self.by_key.items())
        ]


def aggregate(hits: Iterable[Hit], indicators: IndicatorSet, now: float) -> list[Aggregate]:
    """The aggregates of some hits; a hit whose log gives no time is dated `now`."""
    totals = Totals()
    totals.add(hits, now)
    return totals.aggregates(indicators)


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat()


def describe(item: Aggregate) -> str:
    """One JSON line: exactly what would be sent for this aggregate."""
    return orjson.dumps(
        {
            "indicator_id": item.indicator_id,
            "type": item.type,
            "value": item.value,
            "log_type": item.log_type,
            "count": item.count,
            "first_seen": _iso(item.first_seen),
            "last_seen": _iso(item.last_seen),
        }
    ).decode()

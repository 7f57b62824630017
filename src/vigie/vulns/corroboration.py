"""One alert row per asset: the winning feed's match, and the other feeds that agree.

An AlertAsset row stores its winning match in its own columns (source, confidence, reason,
criterion, version_range) and the other sources' matches in `corroboration`, best first. This
module turns a row back into engine matches and back again, so that `alerting.apply` and the
migration that merged the former one-row-per-source data rank matches with the engine's own
order (`engines.matching.match_order`), exactly as `vigie vulns match` does.

It never imports models: the migration passes its historical rows, `apply` the real ones.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any, Protocol, TypeVar

from vigie.engines.matching import PairMatches, group_per_pair
from vigie.engines.reason_text import reasons_from_json, reasons_json
from vigie.engines.records import Match


class MatchRow(Protocol):
    """What this module reads and writes of an AlertAsset row (real or historical model)."""

    source: str
    confidence: str
    reason: str
    reason_parts: Any
    criterion: str
    version_range: str
    corroboration: Any
    active: bool
    first_seen: Any
    last_seen: Any


Row = TypeVar("Row", bound=MatchRow)


def corroboration_json(matches: Iterable[Match]) -> list[dict[str, Any]]:
    """The other sources' matches as stored in `AlertAsset.corroboration`."""
    # `reason_parts` only where the match has them: a row stored before parts existed keeps
    # its entries as they were.
    return [
        {
            "source": match.source,
            "confidence": match.confidence,
            "criterion": match.criterion,
            "version_range": match.version_range,
            "reason": match.reason,
            **({"reason_parts": reasons_json(match.reasons)} if match.reasons else {}),
        }
        for match in matches
    ]


def stored_matches(row: MatchRow, asset: str, vulnerability: str) -> list[Match]:
    """The matches a row holds, the winner first, as engine matches of (asset, vulnerability)."""
    entries = [
        {
            "source": row.source,
            "confidence": row.confidence,
            "criterion": row.criterion,
            "version_range": row.version_range,
            "reason": row.reason,
            # A historical model (the merge migration) has no parts yet.
            "reason_parts": getattr(row, "reason_parts", None),
        },
        *(row.corroboration or []),
    ]
    return [
        Match(
            asset=asset,
            vulnerability=vulnerability,
            source=str(entry.get("source", "")),
            confidence=str(entry.get("confidence", "low")),
            reason=str(entry.get("reason", "")),
            criterion=str(entry.get("criterion", "")),
            version_range=str(entry.get("version_range", "")),
            reasons=reasons_from_json(entry.get("reason_parts")),
        )
        for entry in entries
    ]


def unevaluated_matches(
    row: MatchRow, asset: str, vulnerability: str, evaluated: Collection[str]
) -> list[Match]:
    """What the feeds that were not evaluated this time said about the row's asset.

    Only an active row speaks for them: an inactive row's matches are history.
    """
    if not row.active:
        return []
    return [m for m in stored_matches(row, asset, vulnerability) if m.source not in evaluated]


def set_matches(row: MatchRow, pair: PairMatches) -> None:
    """Write the winning match into the row's columns and the others into `corroboration`."""
    best = pair.best
    row.source = best.source[:200]
    row.confidence = best.confidence
    row.reason = best.reason
    row.reason_parts = reasons_json(best.reasons)
    row.criterion = best.criterion[:500]
    row.version_range = best.version_range[:300]
    row.corroboration = corroboration_json(pair.others)


def merge_rows(rows: Sequence[Row]) -> tuple[Row, list[Row]]:
    """Fold one (alert, asset)'s rows of several sources into one; returns (kept, to delete).

    The rows still matching (active) compete; when none is, all do, so the kept row says what
    matched last. The best match by the engine's order wins and keeps its row (with that row's
    priority, decision and VEX note); the others become its corroboration. The kept row is
    active if any row was, first seen when the earliest was, last seen when the latest was.
    """
    live = [row for row in rows if row.active] or list(rows)
    by_match: dict[Match, Row] = {}
    for row in live:
        # The asset and vulnerability are the same for every row: only the ranking matters.
        for match in stored_matches(row, "", ""):
            by_match.setdefault(match, row)
    pair = group_per_pair(by_match)[0]
    kept = by_match[pair.best]
    set_matches(kept, pair)
    kept.active = any(row.active for row in rows)
    kept.first_seen = min(row.first_seen for row in rows)
    kept.last_seen = max(row.last_seen for row in rows)
    return kept, [row for row in rows if row is not kept]

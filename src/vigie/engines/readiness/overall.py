"""The overall readiness score, its level, and the trend of the snapshots.

Framework-free, like the rest of `vigie.engines`: scores in, numbers and codes out.

Weights: a French hospital's worst case today is ransomware. What decides whether care goes on
is, first, how much of its software an attacker can walk into (exposure: open Act and Attend
alerts) and, second, whether the systems can be restored from a copy the attacker could not
reach (backups). Those two weigh most. Continuity plans and open incidents come next: the
plans carry the care through the days the IT is down, an incident in progress is the threat
already inside. Exercises, training and phishing measure people and habits, which matter but
move the outcome of a given attack less. A pillar the table does not know (a later app) weighs
1, so that registering a pillar is enough to count in the overall score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from vigie.engines.readiness import ParamValue, Reason

WEIGHTS: dict[str, float] = {
    "exposure": 3.0,
    "backups": 3.0,
    "continuity": 2.0,
    "incidents": 2.0,
    "exercises": 1.5,
    "training": 1.0,
    "phishing": 1.0,
}
DEFAULT_WEIGHT = 1.0

GOOD_FROM = 80
FRAGILE_FROM = 50


class Level(StrEnum):
    GOOD = "good"  # 80 and above
    FRAGILE = "fragile"  # 50 to 79
    AT_RISK = "at_risk"  # under 50


def weight_of(code: str) -> float:
    return WEIGHTS.get(code, DEFAULT_WEIGHT)


def overall_score(scores: Mapping[str, int]) -> int | None:
    """The weighted mean of the pillars' scores, rounded half up; None without any pillar."""
    total_weight = sum(weight_of(code) for code in scores)
    if not scores or total_weight <= 0:
        return None
    weighted = sum(weight_of(code) * score for code, score in scores.items())
    return int(weighted / total_weight + 0.5)


def level_of(score: int | None) -> Level | None:
    if score is None:
        return None
    if score >= GOOD_FROM:
        return Level.GOOD
    if score >= FRAGILE_FROM:
        return Level.FRAGILE
    return Level.AT_RISK


def by_points_lost(reasons: Sequence[Reason]) -> list[Reason]:
    """The reasons that cost most first; the facts in the pillar's favour (0 points) last.

    Stable: reasons of equal weight keep the provider's order."""
    return sorted(reasons, key=lambda reason: -max(0, reason.points))


def weakest(scores: Mapping[str, int]) -> str | None:
    """The code of the lowest pillar (the first one of the mapping's order on a tie)."""
    if not scores:
        return None
    return min(scores, key=lambda code: scores[code])


# --- The trend --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """One snapshot: the overall score and every pillar's on one day."""

    taken_on: date
    overall: int
    pillars: dict[str, int] = field(default_factory=dict)


def change(values: Sequence[int | None]) -> int | None:
    """The last value less the one before it (both known), None when there is no such pair."""
    known = [value for value in values if value is not None]
    if len(known) < 2:
        return None
    return known[-1] - known[-2]


def overall_series(points: Sequence[Point]) -> list[int]:
    return [point.overall for point in sorted(points, key=lambda p: p.taken_on)]


def pillar_series(points: Sequence[Point], code: str) -> list[int | None]:
    """The pillar's score at each point, in date order; None where it was not scored yet."""
    return [point.pillars.get(code) for point in sorted(points, key=lambda p: p.taken_on)]


def one_per_week(points: Sequence[Point]) -> list[Point]:
    """The latest point of each ISO week, in date order (a daily series thinned for a chart)."""
    latest: dict[tuple[int, int], Point] = {}
    for point in sorted(points, key=lambda p: p.taken_on):
        year, week, _day = point.taken_on.isocalendar()
        latest[(year, week)] = point
    return list(latest.values())


def mean_points(series: Sequence[Sequence[Point]]) -> list[Point]:
    """The sector's trend: per ISO week, the mean of each establishment's latest point of the
    week (overall and per pillar), dated by the latest of them."""
    weeks: dict[tuple[int, int], list[Point]] = {}
    for points in series:
        for point in one_per_week(points):
            year, week, _day = point.taken_on.isocalendar()
            weeks.setdefault((year, week), []).append(point)
    result = []
    for key in sorted(weeks):
        group = weeks[key]
        codes = sorted({code for point in group for code in point.pillars})
        pillars = {}
        for code in codes:
            values = [point.pillars[code] for point in group if code in point.pillars]
            pillars[code] = _mean(values)
        result.append(
            Point(
                taken_on=max(point.taken_on for point in group),
                overall=_mean([point.overall for point in group]),
                pillars=pillars,
            )
        )
    return result


def _mean(values: Sequence[int]) -> int:
    return int(sum(values) / len(values) + 0.5) if values else 0


def mean_score(values: Sequence[int | None]) -> int | None:
    known = [value for value in values if value is not None]
    return _mean(known) if known else None


# --- Reasons to and from JSON -----------------------------------------------------------------


def reason_to_json(reason: Reason) -> dict[str, Any]:
    """A reason as JSON: dates and times as ISO strings, their names listed under "types" so
    that they read back as dates."""
    params: dict[str, Any] = {}
    types: dict[str, str] = {}
    for name, value in reason.params.items():
        if isinstance(value, datetime):
            params[name], types[name] = value.isoformat(), "datetime"
        elif isinstance(value, date):
            params[name], types[name] = value.isoformat(), "date"
        else:
            params[name] = value
    data: dict[str, Any] = {"code": reason.code, "points": reason.points, "params": params}
    if types:
        data["types"] = types
    return data


def reason_from_json(data: Mapping[str, Any]) -> Reason:
    """The reason `reason_to_json` wrote; a value that does not read back stays a string."""
    types = data.get("types") or {}
    params: dict[str, ParamValue] = {}
    raw = data.get("params") or {}
    for name, value in raw.items() if isinstance(raw, Mapping) else ():
        kind = types.get(name) if isinstance(types, Mapping) else None
        params[str(name)] = _param(value, kind)
    points = data.get("points", 0)
    return Reason(
        code=str(data.get("code", "")),
        params=params,
        points=points if isinstance(points, int) else 0,
    )


def _param(value: Any, kind: Any) -> ParamValue:
    if kind in ("date", "datetime") and isinstance(value, str):
        try:
            if kind == "datetime":
                return datetime.fromisoformat(value)
            return date.fromisoformat(value)
        except ValueError:
            return value
    if value is None or isinstance(value, str | int | float):
        return value
    return str(value)

"""How ready an establishment is, pillar by pillar, with the reasons behind every score.

Framework-free: each pillar provider of the platform (`vigie.<app>.readiness`) gives a list of
`Reason`s, each a code with parameters and the points it takes off the pillar's 100; this
package turns them into scores. The platform translates the codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeAlias

ParamValue: TypeAlias = str | int | float | date | datetime | None

FULL_MARKS = 100


@dataclass(frozen=True)
class Reason:
    """One fact behind a score: `code` like "backups.stale", its parameters, and the points it
    takes off (0 for a fact shown in the pillar's favour)."""

    code: str
    params: dict[str, ParamValue] = field(default_factory=dict)
    points: int = 0


@dataclass(frozen=True)
class Pillar:
    code: str
    reasons: tuple[Reason, ...]

    @property
    def score(self) -> int:
        return score_of(self.reasons)


def score_of(reasons: tuple[Reason, ...] | list[Reason]) -> int:
    """100 less the points the reasons take off, never below 0."""
    lost = sum(max(0, reason.points) for reason in reasons)
    return max(0, FULL_MARKS - lost)

"""What the readiness pages show: the reasons as sentences in the reader's language, dates in
their time zone, numbers localised; a card per pillar; the trend charts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from vigie.core.charts import LineChart, line_chart
from vigie.core.params import format_param
from vigie.engines.readiness import Pillar, Reason
from vigie.engines.readiness.overall import (
    Level,
    Point,
    by_points_lost,
    change,
    level_of,
    one_per_week,
    overall_series,
    pillar_series,
)
from vigie.readiness.pillars import PillarSpec, reason_text
from vigie.readiness.scores import Readiness

LEVEL_LABELS = {
    Level.GOOD: _("Good"),
    Level.FRAGILE: _("Fragile"),
    Level.AT_RISK: _("At risk"),
}
# The status classes of app.css: green, orange, red.
LEVEL_CSS = {Level.GOOD: "ok", Level.FRAGILE: "warn", Level.AT_RISK: "bad"}
LINE_CSS = ("blue", "act", "attend", "track", "green", "orange", "track-star", "grey")


@dataclass(frozen=True)
class ReasonLine:
    code: str
    text: str
    points: int
    known: bool  # False for a code no registered pillar knows (a later version's)


@dataclass(frozen=True)
class Card:
    code: str
    label: str
    score: int
    level: Level | None
    level_label: str
    css: str
    lost: list[ReasonLine]
    kept: list[ReasonLine]  # the facts in the pillar's favour
    url: str


def reason_line(reason: Reason) -> ReasonLine:
    """The reason's sentence, or its code when no pillar knows it or its text does not fit its
    parameters (a text of another version): never an error on the page."""
    text = reason_text(reason.code)
    if text is None:
        return ReasonLine(reason.code, reason.code, reason.points, known=False)
    params = {name: format_param(value) for name, value in reason.params.items()}
    try:
        sentence = str(text) % params
    except (KeyError, ValueError, TypeError):
        return ReasonLine(reason.code, reason.code, reason.points, known=False)
    return ReasonLine(reason.code, sentence, reason.points, known=True)


def level_label(level: Level | None) -> str:
    return str(LEVEL_LABELS[level]) if level is not None else "—"


def level_css(level: Level | None) -> str:
    return LEVEL_CSS[level] if level is not None else "muted"


def pillar_url(spec: PillarSpec, org_slug: str) -> str:
    if not spec.url_name:
        return ""
    try:
        return reverse(spec.url_name, kwargs={"org": org_slug})
    except NoReverseMatch:
        return ""


def card(spec: PillarSpec, pillar: Pillar, link_org: str | None) -> Card:
    lines = [reason_line(reason) for reason in by_points_lost(pillar.reasons)]
    level = level_of(pillar.score)
    return Card(
        code=spec.code,
        label=str(spec.label),
        score=pillar.score,
        level=level,
        level_label=level_label(level),
        css=level_css(level),
        lost=[line for line in lines if line.points > 0],
        kept=[line for line in lines if line.points <= 0],
        url=pillar_url(spec, link_org) if link_org else "",
    )


def cards(readiness: Readiness, link_org: str | None) -> list[Card]:
    """A card per pillar; `link_org` is the slug the pillar pages take (None: no links, as on
    the centre's read-only view of an establishment)."""
    return [card(spec, pillar, link_org) for spec, pillar in readiness.pillars]


def summary(readiness: Readiness) -> dict[str, Any]:
    return {
        "overall": readiness.overall,
        "level": readiness.level,
        "level_label": level_label(readiness.level),
        "level_css": level_css(readiness.level),
    }


# --- The trend ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trend:
    overall: LineChart | None
    pillars: LineChart | None
    change: int | None  # the overall score's change since the previous week's point
    left_out: list[str]  # pillars scored at some points only (newer than the period)

    @property
    def change_size(self) -> int:
        return abs(self.change or 0)


def trend(points: Sequence[Point], specs: Sequence[PillarSpec]) -> Trend:
    weekly = one_per_week(points)
    if not weekly:
        return Trend(overall=None, pillars=None, change=None, left_out=[])
    labels = [date_format(point.taken_on, "SHORT_DATE_FORMAT") for point in weekly]
    overall = overall_series(weekly)
    overall_chart = line_chart(labels, [(str(_("Overall")), [float(v) for v in overall], "blue")])
    series: list[tuple[str, Sequence[float], str]] = []
    left_out = []
    for index, spec in enumerate(specs):
        values = pillar_series(weekly, spec.code)
        known = [float(v) for v in values if v is not None]
        if not known:
            continue
        if len(known) < len(values):
            left_out.append(str(spec.label))
            continue
        series.append((str(spec.label), known, LINE_CSS[index % len(LINE_CSS)]))
    return Trend(
        overall=overall_chart,
        pillars=line_chart(labels, series) if series else None,
        change=change(overall),
        left_out=left_out,
    )

"""Data for the server-rendered SVG charts (templates/charts/*.html): no JavaScript needed.

Every chart reads without colour: bars carry their value as text, lines differ by dash pattern
and marker shape and are labelled at their end, shares are written as percentages. Coordinates
are formatted here, as plain strings, so that the templates never localise them ("12,5" is not
an SVG number).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    percent: float  # of the largest bar, for the bar's length
    share: float  # of the total, for the text
    y: int = 0  # vertical offset in the SVG
    css: str = ""
    short_label: str = ""  # what fits on the chart; the full label is its tooltip and in the table
    width: str = "0"  # the bar's length, percent of the chart's width


BAR_HEIGHT = 40  # a line for the label, the bar under it: long care-unit names get the full width
BAR_SPAN = 80.0  # the longest bar, percent of the width; the value is written after the bar
LABEL_CHARS = 56
# The charts are as narrow as a phone's screen less the card (about 320 px): what is written on
# them fits in that width, in ems of their font (13 px for bars, 12 px for the other charts).
LABEL_EMS = 22.0

# Generous widths of characters in ems (sans-serif): an estimate that errs on the wide side, so
# that a label measured here is never wider once drawn.
_NARROW = frozenset("fijlrtI.,:;!|'()[]{} ·-")
_WIDE = frozenset("mwMW@%")


def text_ems(text: str) -> float:
    width = 0.0
    for char in text:
        if char in _NARROW:
            width += 0.4
        elif char in _WIDE:
            width += 1.0
        elif char.isupper() or char.isdigit():
            width += 0.72
        else:
            width += 0.62
    return width


def shorten(text: str, limit: int = LABEL_CHARS, ems: float | None = None) -> str:
    """`text` cut with an ellipsis at `limit` characters, or where it reaches `ems` wide."""
    if ems is not None:
        if text_ems(text) <= ems:
            return text
        kept = ""
        for char in text:
            if text_ems(kept + char) > ems - 1.0:  # room for the ellipsis
                break
            kept += char
        return kept.rstrip() + "…"
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def wrap(text: str, ems: float = LABEL_EMS, separator: str = " · ") -> list[str]:
    """`text` in lines at most `ems` wide, broken after its separators, then at its spaces."""
    lines: list[str] = []
    line = ""
    pieces = text.split(separator)
    for index, piece in enumerate(pieces):
        piece = piece + (separator.rstrip() if index < len(pieces) - 1 else "")
        candidate = f"{line} {piece}" if line else piece
        if line and text_ems(candidate) > ems:
            lines.append(line)
            line = piece
        else:
            line = candidate
    lines.append(line)
    return [shorten(part, ems=ems) for part in lines]


def _num(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def bars(items: Iterable[tuple[object, int]], css: str = "") -> list[Bar]:
    rows = [(str(label), int(value)) for label, value in items]
    top = max((value for _label, value in rows), default=0)
    total = sum(value for _label, value in rows)
    result = []
    for index, (label, value) in enumerate(rows):
        percent = round(100.0 * value / top, 1) if top else 0.0
        result.append(
            Bar(
                label=label,
                value=value,
                percent=percent,
                share=round(100.0 * value / total, 1) if total else 0.0,
                y=index * BAR_HEIGHT,
                css=css,
                short_label=shorten(label, ems=LABEL_EMS),
                width=_num(percent * BAR_SPAN / 100.0),
            )
        )
    return result


def chart_height(rows: list[Bar]) -> int:
    return max(1, len(rows)) * BAR_HEIGHT


# --- Shares (a gauge per row) ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Share:
    label: str
    met: int
    total: int
    percent: float | None  # None when nothing was due: no share to show, not 0 %
    text: str  # "87,5 %" in the active language, or a dash
    width: str  # the filled part of the gauge, percent of its length
    y: int


SHARE_HEIGHT = 44


def percent_text(value: float | None) -> str:
    if value is None:
        return "—"
    return _("%(value)s%%") % {"value": floatformat(value, 1)}


def shares(items: Iterable[tuple[str, int, int]]) -> list[Share]:
    result = []
    for index, (label, met, total) in enumerate(items):
        percent = round(100.0 * met / total, 1) if total else None
        result.append(
            Share(
                label=label,
                met=met,
                total=total,
                percent=percent,
                text=percent_text(percent),
                width=_num((percent or 0.0) * BAR_SPAN / 100.0),
                y=index * SHARE_HEIGHT,
            )
        )
    return result


def shares_height(rows: list[Share]) -> int:
    return max(1, len(rows)) * SHARE_HEIGHT


# --- Lines (time series) ----------------------------------------------------------------------

LINE_WIDTH = 640
LINE_HEIGHT = 260
PLOT_LEFT = 48
PLOT_RIGHT = 520  # the rest is for the labels at the lines' ends
PLOT_TOP = 28  # room for the y axis' label above it
PLOT_BOTTOM = 214
DASHES = ("", "8 4", "2 4", "10 4 2 4", "4 4")
MARKERS = ("circle", "square", "triangle", "diamond", "cross")


@dataclass(frozen=True, slots=True)
class Tick:
    at: str  # coordinate along its axis
    label: str


@dataclass(frozen=True, slots=True)
class LineSeries:
    label: str
    css: str
    dash: str
    marker: str
    path: str  # the line, an SVG path
    markers: str  # every point's marker, one SVG path
    label_y: str  # where the label at the line's end sits
    last: str  # the last value, localised


@dataclass(frozen=True, slots=True)
class LineChart:
    series: list[LineSeries]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    rows: list[tuple[str, list[str]]]  # the data table: one row per point, a value per series
    summary: str  # the SVG's <desc>: each series from its first to its last point
    width: int = LINE_WIDTH
    height: int = LINE_HEIGHT
    left: int = PLOT_LEFT
    right: int = PLOT_RIGHT
    top: int = PLOT_TOP
    bottom: int = PLOT_BOTTOM
    label_x: int = PLOT_RIGHT + 10


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 × 10ⁿ at least `value` (the top of the y axis)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def _marker(shape: str, x: float, y: float) -> str:
    r = 3.5
    if shape == "square":
        return f"M{x - r:.1f} {y - r:.1f}h{2 * r:.1f}v{2 * r:.1f}h{-2 * r:.1f}z"
    if shape == "triangle":
        return f"M{x:.1f} {y - r - 1:.1f}L{x + r + 1:.1f} {y + r:.1f}H{x - r - 1:.1f}z"
    if shape == "diamond":
        s = r + 1
        return f"M{x:.1f} {y - s:.1f}l{s} {s}l{-s} {s}l{-s} {-s}z"
    if shape == "cross":
        return f"M{x - r:.1f} {y - r:.1f}l{2 * r} {2 * r}m0 {-2 * r}l{-2 * r} {2 * r}"
    # A circle as two arcs, so that every marker is one path.
    return f"M{x - r:.1f} {y:.1f}a{r} {r} 0 1 0 {2 * r:.1f} 0a{r} {r} 0 1 0 {-2 * r:.1f} 0"


def _spread(wanted: list[float], gap: float, low: float, high: float) -> list[float]:
    """Label positions near the wanted ones, at least `gap` apart (lines ending together)."""
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])
    placed = [0.0] * len(wanted)
    floor = low
    for i in order:
        placed[i] = max(wanted[i], floor)
        floor = placed[i] + gap
    overflow = max(0.0, floor - gap - high)
    return [y - overflow for y in placed]


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float], str]],
    *,
    max_x_ticks: int = 4,
) -> LineChart:
    """A line per (label, values, css class); `labels` name the points (dates, in order)."""
    count = len(labels)
    top_value = nice_ceiling(max((max(v, default=0) for _label, v, _css in series), default=0))
    span_x = PLOT_RIGHT - PLOT_LEFT
    span_y = PLOT_BOTTOM - PLOT_TOP

    def x_at(index: int) -> float:
        return PLOT_LEFT + (span_x * index / (count - 1) if count > 1 else span_x / 2)

    def y_at(value: float) -> float:
        return PLOT_BOTTOM - span_y * value / top_value

    built = []
    ends = []
    for number, (label, values, css) in enumerate(series):
        points = [(x_at(i), y_at(v)) for i, v in enumerate(values)]
        shape = MARKERS[number % len(MARKERS)]
        path = "".join(
            f"{'M' if i == 0 else 'L'}{x:.1f} {y:.1f}" for i, (x, y) in enumerate(points)
        )
        ends.append(points[-1][1] if points else PLOT_BOTTOM)
        built.append((label, css, DASHES[number % len(DASHES)], shape, path, points, values))
    label_ys = _spread([y + 4 for y in ends], 14.0, PLOT_TOP + 4, PLOT_BOTTOM + 4)
    lines = [
        LineSeries(
            label=shorten(label, 16),
            css=css,
            dash=dash,
            marker=shape,
            path=path,
            markers="".join(_marker(shape, x, y) for x, y in points),
            label_y=f"{label_y:.1f}",
            last=floatformat(values[-1], -1) if values else "",
        )
        for (label, css, dash, shape, path, points, values), label_y in zip(
            built, label_ys, strict=True
        )
    ]
    step = max(1, math.ceil((count - 1) / max(1, max_x_ticks - 1))) if count > 1 else 1
    shown = list(range(count - 1, -1, -step))[::-1]  # the latest point always has its date
    x_ticks = [Tick(at=f"{x_at(i):.1f}", label=labels[i]) for i in shown]
    # Counts get whole ticks (0, 1, 2 rather than 0, 0.5, 1, 1.5, 2).
    whole = all(float(v).is_integer() for _label, values, _css in series for v in values)
    divisions = next((d for d in (4, 5, 2, 1) if not whole or (top_value / d).is_integer()), 4)
    y_ticks = [
        Tick(
            at=f"{y_at(top_value * k / divisions):.1f}",
            label=floatformat(top_value * k / divisions, -1),
        )
        for k in range(divisions + 1)
    ]
    rows = [
        (labels[i], [floatformat(values[i], -1) for _label, values, _css in series])
        for i in range(count)
    ]
    summary = "; ".join(
        _("%(series)s: %(first)s on %(start)s, %(last)s on %(end)s")
        % {
            "series": label,
            "first": floatformat(values[0], -1),
            "start": labels[0],
            "last": floatformat(values[-1], -1),
            "end": labels[-1],
        }
        for label, values, _css in series
        if values
    )
    return LineChart(series=lines, x_ticks=x_ticks, y_ticks=y_ticks, rows=rows, summary=summary)


# --- Times against a target ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TargetLine:
    bold: str  # the label, on the first line
    text: str
    y: int  # its baseline


@dataclass(frozen=True, slots=True)
class TargetRow:
    label: str
    text: str  # "median 3 h · 90 % within 5 h · target 4 h", in words, for every reader
    median_width: str
    p90_width: str
    target_at: str  # percent of the width, "" when there is no target
    y: int
    css: str = ""
    # The label and the text as drawn: lines that fit a phone's width, the bars under them.
    lines: tuple[TargetLine, ...] = ()
    bar_y: int = 19  # the top of the bars
    height: int = 46


TARGET_HEIGHT = 46
TARGET_LINE = 15


def against_target(
    items: Iterable[tuple[str, float | None, float | None, float | None, str, str]],
) -> list[TargetRow]:
    """Rows of (label, median, p90, target, text, css) in one unit.

    Each row has its own scale (its longest time or its target fills the span): an Act target
    of hours and a Track target of months both stay readable; the text gives the figures.
    """
    result = []
    y = 0
    for label, median, p90, target, text, css in items:
        top = max((v for v in (median, p90, target) if v is not None), default=0.0) or 1.0
        scale = BAR_SPAN / top
        # The label (in bold, a little wider) on the first line, the figures after it or under it.
        texts = wrap(f"{label} · {text}", ems=LABEL_EMS / 1.1)
        bold, first = (
            (label, texts[0][len(label) :]) if texts[0].startswith(label) else ("", texts[0])
        )
        lines = tuple(
            TargetLine(bold if i == 0 else "", first if i == 0 else t, y + 13 + i * TARGET_LINE)
            for i, t in enumerate(texts)
        )
        bar_y = y + 19 + (len(lines) - 1) * TARGET_LINE
        result.append(
            TargetRow(
                label=label,
                text=text,
                median_width=_num((median or 0.0) * scale),
                p90_width=_num((p90 or 0.0) * scale),
                target_at=_num(target * scale) if target is not None else "",
                y=y,
                css=css,
                lines=lines,
                bar_y=bar_y,
                height=bar_y - y + TARGET_HEIGHT - 19,
            )
        )
        y = bar_y + TARGET_HEIGHT - 19
    return result


def target_height(rows: list[TargetRow]) -> int:
    return sum(row.height for row in rows) if rows else TARGET_HEIGHT

"""Data for the server-rendered SVG charts (templates/charts/*.html): no JavaScript needed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    percent: float  # of the largest bar, for the bar's length
    share: float  # of the total, for the text
    y: int = 0  # vertical offset in the SVG
    css: str = ""


BAR_HEIGHT = 28


def bars(items: Iterable[tuple[object, int]], css: str = "") -> list[Bar]:
    rows = [(str(label), int(value)) for label, value in items]
    top = max((value for _, value in rows), default=0)
    total = sum(value for _, value in rows)
    return [
        Bar(
            label=label,
            value=value,
            percent=round(100.0 * value / top, 1) if top else 0.0,
            share=round(100.0 * value / total, 1) if total else 0.0,
            y=index * BAR_HEIGHT,
            css=css,
        )
        for index, (label, value) in enumerate(rows)
    ]


def chart_height(rows: list[Bar]) -> int:
    return max(1, len(rows)) * BAR_HEIGHT

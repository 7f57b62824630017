"""Words for incident codes and durations, in the reader's language."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils.translation import ngettext

from vigie.incidents.labels import OBLIGATIONS, STATUSES, step_label
from vigie.incidents.models import Category, Phase

register = template.Library()


@register.filter
def obligation_label(code: str) -> str:
    label = OBLIGATIONS.get(code)
    return str(label) if label is not None else code


@register.filter
def status_label(code: str) -> str:
    label = STATUSES.get(code)
    return str(label) if label is not None else code


@register.filter
def step(code: str, title: str = "") -> str:
    return step_label(code, title)


@register.filter
def duration_words(value: timedelta | None) -> str:
    """A countdown as people say it: "2 days 3 hours", "5 hours 10 minutes", "12 minutes"."""
    if value is None:
        return ""
    minutes = int(abs(value.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts: list[str] = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if hours and len(parts) < 2:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if not days and (minutes or not parts):
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    return " ".join(parts)


@register.filter
def phase_label(code: str) -> str:
    try:
        return str(Phase(code).label)
    except ValueError:
        return code


@register.filter
def category_label(code: str) -> str:
    try:
        return str(Category(code).label)
    except ValueError:
        return code

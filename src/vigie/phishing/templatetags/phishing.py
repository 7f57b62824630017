from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils.translation import gettext as _

from vigie.phishing import lures

register = template.Library()


@register.simple_tag
def lure_text(code: str, part: str) -> str:
    """A part ("subject", "body", "button", "label") of a built-in message, in the active
    language; empty for an unknown code."""
    found = lures.lure(code)
    if found is None or part not in ("subject", "body", "button", "label"):
        return ""
    return str(getattr(found, part))


@register.filter
def paragraphs(text: str) -> list[str]:
    return [part.strip() for part in text.split("\n\n") if part.strip()]


@register.filter
def rate(value: float | None) -> str:
    """A share 0-1 as a whole percentage, "—" when there is nothing to divide."""
    if value is None:
        return "—"
    return f"{round(value * 100)} %"


@register.filter
def duration(value: timedelta | None) -> str:
    """A time to report in hours and minutes ("—" when nobody reported)."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    if minutes < 60:
        return _("%(m)s min") % {"m": minutes}
    return _("%(h)s h %(m)s min") % {"h": minutes // 60, "m": minutes % 60}

"""Small template filters shared by pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def priority_css(priority: str) -> str:
    """CSS class of an SSVC priority (`track*` is not a valid class name)."""
    return {"act": "act", "attend": "attend", "track*": "track-star", "track": "track"}.get(
        priority, ""
    )


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"

"""Feed freshness in templates: the stale-sources banner of the feeds and operations pages."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from vigie.vulns.freshness import SourceFreshness, stale_sources

register = template.Library()


@register.filter
def stale_count(rows: Iterable[SourceFreshness]) -> int:
    return sum(1 for row in rows if row.state == "stale")


@register.simple_tag
def stale_feed_count() -> int:
    """For pages that do not list the sources (the operations page)."""
    return len(stale_sources())

"""Feed freshness in templates: the stale-sources banner of the centre's dashboard, feeds and
operations pages (vulns/_stale_feeds_banner.html says who sees it)."""

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

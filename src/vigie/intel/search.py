"""Searching the indicators a reader may see: the one query the pages and the API share."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from vigie.core.paging import Key
from vigie.intel.models import Indicator, IndicatorType, Tlp
from vigie.intel.visibility import visible_indicators
from vigie.tenancy.access import OrgAccess

# Newest first; the keyset of the pages and the order of the API.
ORDER = (Key("last_seen", descending=True), Key("pk", descending=True))


def active_only(rows: QuerySet[Indicator]) -> QuerySet[Indicator]:
    """What blocklists and matching use: not expired, not revoked, not on a warning list."""
    now = timezone.now()
    return rows.filter(revoked=False, suppressed=False).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=now)
    )


def indicator_search(access: OrgAccess, data: dict[str, Any]) -> QuerySet[Indicator]:
    rows = visible_indicators(access)
    if data.get("type") in IndicatorType.values:
        rows = rows.filter(type=data["type"])
    if data.get("tlp") in Tlp.values:
        rows = rows.filter(tlp=data["tlp"])
    text = (data.get("q") or "").strip().lower()[:200]
    if text:
        rows = rows.filter(value__contains=text)
    if data.get("active"):
        rows = active_only(rows)
    return rows.order_by("-last_seen", "-pk")

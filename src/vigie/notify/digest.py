"""The daily digest's content for one channel: its alerts grouped by priority, Act first.

vulns.alerting collects the establishment's items (one per alert, with its assets); each channel
keeps the items its filters let through (notify/filters.py), and this module groups them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from vigie.notify.filters import PRIORITY_ORDER, Built, Tailor, digest_tailor

MAX_ITEMS_PER_GROUP = 50
MAX_ASSETS_PER_ITEM = 20


def groups_of(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Non-empty groups in priority order, each capped, with how many were left out."""
    groups: list[dict[str, Any]] = []
    for priority in PRIORITY_ORDER:
        members = [item for item in items if item["priority"] == priority]
        if not members:
            continue
        shown = [
            {
                **item,
                "assets": list(item["assets"])[:MAX_ASSETS_PER_ITEM],
                "assets_kept": len(item["assets"]),
                "assets_more": max(0, len(item["assets"]) - MAX_ASSETS_PER_ITEM),
            }
            for item in members[:MAX_ITEMS_PER_GROUP]
        ]
        groups.append(
            {
                "priority": priority,
                "count": len(members),
                "items": shown,
                "more": len(members) - len(shown),
            }
        )
    return groups


def tailor(base: Mapping[str, Any], items: Sequence[Mapping[str, Any]]) -> Tailor:
    """The digest of each channel: `base` (organisation, date, link) and its groups; nothing
    for a channel none of whose items pass."""

    def build(kept: list[dict[str, Any]]) -> Built | None:
        if not kept:
            return None
        groups = groups_of(kept)
        payload = {
            **base,
            "groups": groups,
            "total": len(kept),
            # Kept for webhook receivers written before the groups: the new Track and Track*.
            "new": [
                {key: item[key] for key in ("alert", "vulnerability", "title", "priority")}
                | {"assets": item["assets_count"]}
                for item in kept
                if item["new"] and item["priority"] in ("track*", "track")
            ],
        }
        return payload, {"payload": payload}

    return digest_tailor(items, build)

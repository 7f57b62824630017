"""Which alerts, and which of their assets, a channel lets through.

A biomedical engineer wants the pumps of intensive care, not 300 Track alerts on workstations.
A channel lists priorities, care units (matched against the asset's location, case-insensitive,
exact), asset kinds and clinical criticalities; an empty list lets everything through. An alert
passes when its priority passes and at least one of its affected assets passes the three asset
filters, and the message then lists only those assets.

Assets are model instances or the JSON of payloads (`{"kind", "location", "criticality"}`):
both are read through `_field`, so the alert notice and the digest share one rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigie.inventory.models import AssetKind, Criticality
from vigie.notify.models import Channel
from vigie.vulns.models import Priority

A = TypeVar("A")

PRIORITY_ORDER = [p.value for p in Priority]  # act, attend, track*, track: most urgent first
ASSET_KIND_VALUES = [k.value for k in AssetKind]
CRITICALITY_VALUES = [c.value for c in Criticality]

# The channel list reads "Act and Attend · Réanimation · medical devices": kinds in the plural.
KIND_PLURALS: dict[str, Any] = {
    AssetKind.SERVER: gettext_lazy("servers"),
    AssetKind.WORKSTATION: gettext_lazy("workstations"),
    AssetKind.NETWORK: gettext_lazy("network devices"),
    AssetKind.MEDICAL_DEVICE: gettext_lazy("medical devices"),
    AssetKind.APPLICATION: gettext_lazy("applications"),
    AssetKind.OS: gettext_lazy("operating systems"),
    AssetKind.FIRMWARE: gettext_lazy("firmware"),
    AssetKind.HARDWARE: gettext_lazy("hardware"),
    AssetKind.LIBRARY: gettext_lazy("libraries"),
    AssetKind.IOT: gettext_lazy("IoT and building devices"),
    AssetKind.OTHER: gettext_lazy("other assets"),
}


def normalise_unit(name: str) -> str:
    return " ".join(name.split()).casefold()


def _field(asset: Any, name: str) -> str:
    value = asset.get(name) if isinstance(asset, Mapping) else getattr(asset, name, "")
    return str(value or "")


@dataclass(frozen=True, slots=True)
class ChannelFilter:
    priorities: frozenset[str]
    care_units: frozenset[str]
    asset_kinds: frozenset[str]
    criticalities: frozenset[str]

    @classmethod
    def of(cls, channel: Channel) -> ChannelFilter:
        return cls(
            priorities=frozenset(channel.priorities or []),
            care_units=frozenset(normalise_unit(u) for u in channel.care_units or []),
            asset_kinds=frozenset(channel.asset_kinds or []),
            criticalities=frozenset(channel.criticalities or []),
        )

    @property
    def filters_assets(self) -> bool:
        return bool(self.care_units or self.asset_kinds or self.criticalities)

    @property
    def is_open(self) -> bool:
        return not self.priorities and not self.filters_assets

    def admits_priority(self, priority: str) -> bool:
        return not self.priorities or priority in self.priorities

    def admits_asset(self, asset: Any) -> bool:
        if self.care_units and normalise_unit(_field(asset, "location")) not in self.care_units:
            return False
        if self.asset_kinds and _field(asset, "kind") not in self.asset_kinds:
            return False
        return not self.criticalities or _field(asset, "criticality") in self.criticalities

    def kept_assets(self, priority: str, assets: Iterable[A]) -> list[A]:
        """The assets this channel tells about; empty when the alert does not go through it."""
        if not self.admits_priority(priority):
            return []
        return [asset for asset in assets if self.admits_asset(asset)]


# --- Tailoring one event for each channel (outbox.enqueue_for_channels(tailor=...)) ------------

Built = tuple[dict[str, Any], dict[str, Any]]  # (webhook payload, e-mail context)
Tailor = Callable[[Channel], Built | None]


def alert_tailor(
    *, priority: str, assets: Sequence[A], build: Callable[[list[A]], Built]
) -> Tailor:
    """An alert notice for each channel, listing the assets that pass its filters (or none)."""
    everything = build(list(assets))

    def tailor(channel: Channel) -> Built | None:
        rule = ChannelFilter.of(channel)
        if rule.is_open:
            return everything
        kept = rule.kept_assets(priority, assets)
        if not kept:
            return None
        return everything if len(kept) == len(assets) else build(kept)

    return tailor


def digest_items_for(
    rule: ChannelFilter, items: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Digest items (`priority`, `assets`) that pass, each with only the assets that pass."""
    kept: list[dict[str, Any]] = []
    for item in items:
        assets = rule.kept_assets(str(item["priority"]), item.get("assets") or [])
        if assets:
            kept.append({**item, "assets": assets})
    return kept


def digest_tailor(
    items: Sequence[Mapping[str, Any]],
    build: Callable[[list[dict[str, Any]]], Built | None],
) -> Tailor:
    """A digest for each channel, of the items that pass its filters; none when nothing does."""
    everything = build([dict(item) for item in items])

    def tailor(channel: Channel) -> Built | None:
        rule = ChannelFilter.of(channel)
        if rule.is_open:
            return everything
        return build(digest_items_for(rule, items))

    return tailor


# --- Words for people --------------------------------------------------------------------------


def join_words(words: Sequence[str], *, conjunction: str = "and") -> str:
    """Act; Act and Attend; Act, Attend and Track* (or "or"), in the active language."""
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    first, last = ", ".join(words[:-1]), words[-1]
    if conjunction == "or":
        return _("%(first)s or %(last)s") % {"first": first, "last": last}
    return _("%(first)s and %(last)s") % {"first": first, "last": last}


def _ordered(values: Iterable[str], order: list[str]) -> list[str]:
    chosen = set(values)
    return [value for value in order if value in chosen]


def summary(channel: Channel) -> str:
    """What the channel lets through: "Act and Attend · Réanimation · medical devices"."""
    priorities = {value: str(label) for value, label in Priority.choices}
    criticalities = {value: str(label) for value, label in Criticality.choices}
    parts: list[str] = []
    chosen = _ordered(channel.priorities or [], PRIORITY_ORDER)
    if chosen:
        parts.append(join_words([priorities[p] for p in chosen]))
    units = list(channel.care_units or [])
    if units:
        parts.append(join_words(units, conjunction="or"))
    kinds = _ordered(channel.asset_kinds or [], ASSET_KIND_VALUES)
    if kinds:
        parts.append(join_words([str(KIND_PLURALS[k]) for k in kinds], conjunction="or"))
    levels = _ordered(channel.criticalities or [], CRITICALITY_VALUES)
    if levels:
        words = [criticalities[c].lower() for c in levels]
        parts.append(_("criticality: %(levels)s") % {"levels": join_words(words, conjunction="or")})
    if not parts:
        return _("Every alert")
    return " · ".join(parts)

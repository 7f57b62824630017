"""What to do about an alert, and by when: the "What to do" summary of pages, e-mails and API.

For each affected asset the summary gathers what every feed that matched it says: the versions
that fix it (CVE 5 `unaffected` runs, CSAF fixed products, the exclusive upper bound of the
matched range: NVD's `versionEndExcluding`), and the advisories' remediations by category
(vendor fix, workaround, mitigation, no fix planned...). Assets that got the same advice are
grouped, the most critical first. Then the known-exploited catalogues' required action and due
date, and the alert's own deadlines from the establishment's response times, as the reader says
them ("lundi 7 décembre 2026 à 14 h 19", in their zone), overdue or not.

The advisories' own sentences are shown as written (usually English); every label around them
is translated. The alert is already scoped to the reader's establishment by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy

from vigie.engines.records import Remediation
from vigie.inventory.models import Asset, Criticality
from vigie.vulns.corroboration import stored_matches
from vigie.vulns.models import Alert, AlertAsset, AlertState, FeedRecord, KevListing
from vigie.vulns.serialise import record_from_json

# Most useful first: a fix to install, then what reduces the risk, then "nothing coming".
CATEGORY_ORDER = (
    "vendor_fix",
    "optional_patch",
    "fix_planned",
    "workaround",
    "mitigation",
    "no_fix_planned",
    "none_available",
)
CATEGORY_LABELS: dict[str, Promise] = {
    "vendor_fix": pgettext_lazy("remediation category", "Vendor fix"),
    "optional_patch": pgettext_lazy("remediation category", "Optional patch"),
    "fix_planned": pgettext_lazy("remediation category", "Fix planned"),
    "workaround": pgettext_lazy("remediation category", "Workaround"),
    "mitigation": pgettext_lazy("remediation category", "Mitigation"),
    "no_fix_planned": pgettext_lazy("remediation category", "No fix planned"),
    "none_available": pgettext_lazy("remediation category", "No fix available yet"),
}
_FIX_CATEGORIES = frozenset({"vendor_fix", "optional_patch"})
_CRITICALITY_RANK = {value: rank for rank, value in enumerate(Criticality.values)}
# The exclusive upper bound of a range as the matchers write it: `>= 1.8.2, < 1.8.32`,
# `vers:generic/>=2.0|<2.4`. `<=` bounds say the last affected version, not the fix.
_EXCLUSIVE_UPPER = re.compile(r"(?:^|[\s,|/(])<(?!=)\s*([^\s,|)]+)")
_WEB_LINK = re.compile(r"^https?://", re.IGNORECASE)
ASSETS_SHOWN = 12  # per group; a fleet of 300 workstations is named by count beyond that


def first_fixed_version(version_range: str) -> str:
    """`>= 1.8.2, < 1.8.32` -> `1.8.32`; "" when the range has no exclusive upper bound."""
    found = _EXCLUSIVE_UPPER.findall(version_range or "")
    return str(found[-1]) if found else ""


def in_words(moment: datetime) -> str:
    """A moment as people say it, in the active language and time zone (no ISO timestamps)."""
    # Translators: a PHP-style date format (Django's `date` filter); backslash escapes a letter.
    return date_format(
        timezone.localtime(moment), pgettext("date and time in words", "l j F Y, H:i")
    )


def day_in_words(day: date) -> str:
    # Translators: a PHP-style date format (Django's `date` filter).
    return date_format(day, pgettext("day in words", "l j F Y"))


@dataclass(frozen=True)
class Action:
    """One remediation of one category from one source (details verbatim, may be several)."""

    category: str
    details: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    fixed_in: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return str(CATEGORY_LABELS.get(self.category, self.category))


@dataclass(frozen=True)
class SourceAdvice:
    """What one feed that matched the assets says to do."""

    source: str  # nvd | cve5 | csaf:<tracking id>
    fixed_in: tuple[str, ...] = ()
    actions: tuple[Action, ...] = ()

    @property
    def is_fix(self) -> bool:
        return bool(self.fixed_in) or any(a.category in _FIX_CATEGORIES for a in self.actions)


@dataclass(frozen=True)
class AssetLine:
    pk: int
    name: str
    care_unit: str
    criticality: str  # code, "" when unknown
    criticality_label: str
    version: str


@dataclass(frozen=True)
class AdviceGroup:
    """Assets that got the same advice from the same feeds."""

    assets: tuple[AssetLine, ...]
    advice: tuple[SourceAdvice, ...]

    @property
    def shown_assets(self) -> tuple[AssetLine, ...]:
        return self.assets[:ASSETS_SHOWN]

    @property
    def more_assets(self) -> int:
        return max(0, len(self.assets) - ASSETS_SHOWN)

    @property
    def fixed_in(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v for a in self.advice for v in a.fixed_in))

    @property
    def fix_known(self) -> bool:
        return any(a.is_fix for a in self.advice)

    @property
    def no_fix_planned(self) -> bool:
        return any(act.category == "no_fix_planned" for a in self.advice for act in a.actions)

    @property
    def has_mitigation(self) -> bool:
        return any(
            act.category in ("workaround", "mitigation") for a in self.advice for act in a.actions
        )


@dataclass(frozen=True)
class KevAction:
    catalogue: str  # cisa | eu
    required_action: str  # the catalogue's own words (English)
    due_date: date | None
    due_in_words: str
    overdue: bool
    ransomware: bool


@dataclass(frozen=True)
class Deadline:
    kind: str  # acknowledge | remediate
    at: datetime
    in_words: str
    overdue: bool

    @property
    def label(self) -> str:
        if self.kind == "acknowledge":
            return str(_("Acknowledge before"))
        return str(_("Remediate before"))


@dataclass(frozen=True)
class Summary:
    groups: tuple[AdviceGroup, ...]
    kev: tuple[KevAction, ...]
    deadlines: tuple[Deadline, ...]
    alert_open: bool

    @property
    def fix_known(self) -> bool:
        return any(g.fix_known for g in self.groups)

    @property
    def fixed_in(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v for g in self.groups for v in g.fixed_in))

    @property
    def has_mitigation(self) -> bool:
        return any(g.has_mitigation for g in self.groups)

    @property
    def no_fix_planned(self) -> bool:
        return any(g.no_fix_planned for g in self.groups)

    @property
    def remediation_deadline(self) -> Deadline | None:
        return next((d for d in self.deadlines if d.kind == "remediate"), None)

    def headline(self) -> str:
        """The one line an e-mail carries: what to do first (the deadline is said apart)."""
        if self.fixed_in:
            return str(_("Install a fixed version: %(versions)s.")) % {
                "versions": ", ".join(self.fixed_in[:6])
            }
        if self.fix_known:
            return str(_("Apply the vendor's fix described in the advisory."))
        if self.no_fix_planned:
            return str(
                _(
                    "No fix is planned: apply the advisory's workaround or mitigations, "
                    "isolate the device, or plan its replacement."
                )
            )
        if self.has_mitigation:
            return str(
                _(
                    "No fix published yet: apply the advisory's mitigations, or isolate the "
                    "device from the network."
                )
            )
        return str(
            _(
                "No fix published yet: restrict the device's network access or isolate it, "
                "and watch for the vendor's update."
            )
        )

    def as_json(self) -> dict[str, Any]:
        """Codes and values for the API (no sentences but the feeds' own)."""
        return {
            "fix_known": self.fix_known,
            "fixed_in": list(self.fixed_in),
            "assets": [
                {
                    "assets": [
                        {
                            "id": a.pk,
                            "name": a.name,
                            "care_unit": a.care_unit,
                            "criticality": a.criticality or None,
                            "version": a.version,
                        }
                        for a in group.assets
                    ],
                    "fix_known": group.fix_known,
                    "fixed_in": list(group.fixed_in),
                    "sources": [
                        {
                            "source": advice.source,
                            "fixed_in": list(advice.fixed_in),
                            "remediations": [
                                {
                                    "category": action.category,
                                    "details": list(action.details),
                                    "urls": list(action.urls),
                                    "fixed_in": list(action.fixed_in),
                                }
                                for action in advice.actions
                            ],
                        }
                        for advice in group.advice
                    ],
                }
                for group in self.groups
            ],
            "kev": [
                {
                    "catalogue": k.catalogue,
                    "required_action": k.required_action,
                    "due_date": k.due_date.isoformat() if k.due_date else None,
                    "overdue": k.overdue,
                    "ransomware": k.ransomware,
                }
                for k in self.kev
            ],
            "deadlines": [
                {"kind": d.kind, "at": d.at.isoformat(), "overdue": d.overdue}
                for d in self.deadlines
            ],
        }


def summary_for(alert: Alert, now: datetime | None = None) -> Summary:
    """The "What to do" summary of an alert the caller has already scoped to its reader."""
    now = now or timezone.now()
    vuln = alert.vulnerability
    records = {
        row.source: record_from_json(row.record).remediations
        for row in FeedRecord.objects.filter(vulnerability=vuln).only("source", "record")
    }
    rows = list(
        AlertAsset.objects.filter(alert=alert, active=True)
        .select_related("asset")
        .order_by("asset__name", "asset_id")
    )
    groups = _groups(rows, records, vuln.vuln_id)
    today = timezone.localdate(now)
    kev = tuple(
        KevAction(
            catalogue=k.catalogue,
            required_action=k.required_action.strip(),
            due_date=k.due_date,
            due_in_words=day_in_words(k.due_date) if k.due_date else "",
            overdue=bool(k.due_date and k.due_date < today and alert.is_open),
            ransomware=k.ransomware,
        )
        for k in KevListing.objects.filter(cve=vuln.vuln_id).order_by("catalogue")
        if k.required_action.strip() or k.due_date
    )
    deadlines: list[Deadline] = []
    if alert.state == AlertState.NEW and alert.ack_due_at is not None:
        deadlines.append(_deadline("acknowledge", alert.ack_due_at, now))
    if alert.is_open and alert.remediation_due_at is not None:
        deadlines.append(_deadline("remediate", alert.remediation_due_at, now))
    return Summary(groups=groups, kev=kev, deadlines=tuple(deadlines), alert_open=alert.is_open)


def _deadline(kind: str, at: datetime, now: datetime) -> Deadline:
    return Deadline(kind=kind, at=at, in_words=in_words(at), overdue=at < now)


def _groups(
    rows: Sequence[AlertAsset],
    records: dict[str, tuple[Remediation, ...]],
    vuln_id: str,
) -> tuple[AdviceGroup, ...]:
    grouped: dict[tuple[SourceAdvice, ...], list[AssetLine]] = {}
    for row in rows:
        advice = tuple(
            _source_advice(match.source, match.criterion, match.version_range, records)
            for match in stored_matches(row, str(row.asset_id), vuln_id)
        )
        kept = tuple(dict.fromkeys(a for a in advice if a.fixed_in or a.actions))
        grouped.setdefault(kept, []).append(_asset_line(row.asset))
    found = [
        AdviceGroup(assets=tuple(sorted(assets, key=_asset_order)), advice=advice)
        for advice, assets in grouped.items()
    ]
    return tuple(sorted(found, key=lambda g: _asset_order(g.assets[0])))


def _source_advice(
    source: str,
    criterion: str,
    version_range: str,
    records: dict[str, tuple[Remediation, ...]],
) -> SourceAdvice:
    # A remediation naming products applies to the one this match is about; one naming none
    # applies to all (CVE 5 solutions, KEV-like general advice).
    applicable = [r for r in records.get(source, ()) if not r.products or criterion in r.products]
    fixed = [first_fixed_version(version_range)]
    for item in applicable:
        fixed.extend(item.fixed_in)
    return SourceAdvice(
        source=source,
        fixed_in=tuple(v for v in dict.fromkeys(fixed) if v),
        actions=_actions(r for r in applicable if r.details or r.url),
    )


def _actions(items: Iterable[Remediation]) -> tuple[Action, ...]:
    by_category: dict[str, list[Remediation]] = {}
    for item in items:
        by_category.setdefault(item.category, []).append(item)
    order = {c: i for i, c in enumerate(CATEGORY_ORDER)}
    return tuple(
        Action(
            category=category,
            details=tuple(dict.fromkeys(r.details for r in found if r.details)),
            # Only web links: an advisory is outside input, and a `javascript:` URL is not one.
            urls=tuple(dict.fromkeys(r.url for r in found if _WEB_LINK.match(r.url))),
            fixed_in=tuple(dict.fromkeys(v for r in found for v in r.fixed_in)),
        )
        for category, found in sorted(by_category.items(), key=lambda kv: order.get(kv[0], 99))
    )


def _asset_line(asset: Asset) -> AssetLine:
    return AssetLine(
        pk=asset.pk,
        name=asset.name,
        care_unit=asset.location,
        criticality=asset.criticality,
        criticality_label=str(asset.get_criticality_display()) if asset.criticality else "",
        version=asset.version,
    )


def _asset_order(line: AssetLine) -> tuple[int, str]:
    return (_CRITICALITY_RANK.get(line.criticality, len(_CRITICALITY_RANK)), line.name.lower())

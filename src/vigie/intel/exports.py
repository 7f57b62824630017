"""The indicators a reader may export, as plain records for the format writers.

Rows come through `visible_indicators` (TLP) and `active_only` (expiry, revocation, warning
lists), nothing else: the format writers (`vigie.engines.indicators.exports`) never see a row
the reader may not. Large sets stream from the database in chunks (`.iterator`), so a
million-line blocklist never sits in memory.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Min, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from vigie.api.models import ApiToken
from vigie.audit.log import record as audit
from vigie.audit.models import Action
from vigie.engines.indicators.exports import (
    SURICATA_DATASETS,
    ExportHeader,
    ExportRecord,
    FeedGroup,
    MispFeed,
)
from vigie.engines.indicators.model import TLP_ORDER, IndicatorType, Tlp
from vigie.intel.models import Indicator
from vigie.intel.search import active_only
from vigie.intel.visibility import visible_indicators
from vigie.tenancy.access import OrgAccess

CHUNK = 2000
# Least restrictive first: the order files and pages list markings in.
TLP_VALUES_ORDERED = tuple(tlp.value for tlp in TLP_ORDER)
TLP_VALUES = frozenset(TLP_VALUES_ORDERED)

_RECORD_FIELDS = (
    "type",
    "value",
    "tlp",
    "tags",
    "valid_until",
    "organisation__name",
    "organisation_id",
    "updated_at",
    "last_seen",
)


def exportable(
    access: OrgAccess, types: Iterable[str], tlps: Iterable[str] = ()
) -> QuerySet[Indicator]:
    """What the reader may export of these types: visible under TLP, and active.

    `tlps` narrows the selection further (a resolver run by a contractor gets CLEAR and GREEN
    only); it never widens what `visible_indicators` allows.
    """
    rows = active_only(visible_indicators(access)).filter(type__in=list(types))
    levels = [tlp for tlp in tlps if tlp in TLP_VALUES]
    if levels:
        rows = rows.filter(tlp__in=levels)
    return rows


def header(access: OrgAccess, rows: QuerySet[Indicator], title: str) -> ExportHeader:
    """What a file says of itself: the levels present and the number of distinct values."""
    present = set(rows.order_by().values_list("tlp", flat=True).distinct())
    return ExportHeader(
        title=title,
        organisation=f"{access.organisation.name} ({access.organisation.slug})",
        generated_at=timezone.now(),
        tlps=tuple(tlp for tlp in TLP_ORDER if tlp in present),
        count=rows.order_by().values("type", "value").distinct().count(),
    )


def distinct_values(rows: QuerySet[Indicator]) -> Iterator[str]:
    """Each value once, in a stable order (a value several publishers shared is one line)."""
    values = rows.order_by("value").values_list("value", flat=True).distinct()
    return values.iterator(chunk_size=CHUNK)


def _record(row: tuple[Any, ...]) -> ExportRecord:
    type_, value, tlp, tags, valid_until, publisher, publisher_id, updated_at, last_seen = row
    return ExportRecord(
        type=IndicatorType(type_),
        value=value,
        tlp=Tlp(tlp),
        tags=tuple(str(tag) for tag in tags or ()),
        valid_until=valid_until,
        source=publisher,
        publisher_id=str(publisher_id),
        changed_at=max(updated_at, last_seen),
    )


def records(rows: QuerySet[Indicator], *order: str) -> Iterator[ExportRecord]:
    ordered = rows.order_by(*(order or ("type", "value", "organisation_id")))
    for row in ordered.values_list(*_RECORD_FIELDS).iterator(chunk_size=CHUNK):
        yield _record(row)


def suricata_rows(access: OrgAccess, kind: str, tlps: Iterable[str]) -> QuerySet[Indicator]:
    return exportable(access, SURICATA_DATASETS[kind].types, tlps)


# --- MISP feed ------------------------------------------------------------------------------------


def misp_feed(access: OrgAccess) -> MispFeed:
    # The installation's namespace, the one the TAXII server's STIX ids come from too.
    return MispFeed(
        namespace=uuid.UUID(settings.VIGIE_STIX_NAMESPACE),
        reader=str(access.organisation.pk),
        person=str(access.user.pk),
    )


def misp_rows(access: OrgAccess) -> QuerySet[Indicator]:
    return exportable(access, [type_.value for type_ in IndicatorType])


def feed_groups(access: OrgAccess) -> list[FeedGroup]:
    """One group (MISP event) per publisher and marking of what the reader may export.

    The timestamp also counts rows that left the feed (expired, revoked, suppressed), so a
    MISP instance sees that the event changed and fetches it again.
    """
    now = timezone.now()
    keys = ("organisation_id", "organisation__name", "tlp")
    active = (
        misp_rows(access)
        .order_by()
        .values(*keys)
        .annotate(
            first_seen=Min("first_seen"),
            changed=Max("updated_at"),
            seen=Max("last_seen"),
            count=Count("id"),
        )
    )
    left = (
        visible_indicators(access)
        .order_by()
        .values("organisation_id", "tlp")
        .annotate(
            changed=Max("updated_at"),
            seen=Max("last_seen"),
            expired=Max("valid_until", filter=Q(valid_until__lte=now)),
        )
    )
    moved: dict[tuple[int, str], datetime] = {}
    for row in left:
        moments = [m for m in (row["changed"], row["seen"], row["expired"]) if m is not None]
        moved[(row["organisation_id"], row["tlp"])] = max(moments)
    groups = []
    for row in active:
        key = (row["organisation_id"], row["tlp"])
        changed = max(row["changed"], row["seen"], moved.get(key, row["changed"]))
        groups.append(
            FeedGroup(
                publisher_id=str(row["organisation_id"]),
                publisher=row["organisation__name"],
                tlp=Tlp(row["tlp"]),
                first_seen=row["first_seen"],
                changed_at=changed,
                count=row["count"],
            )
        )
    groups.sort(key=lambda group: (int(group.publisher_id), TLP_ORDER.index(group.tlp)))
    return groups


@dataclass(frozen=True, slots=True)
class FeedEvent:
    group: FeedGroup
    rows: QuerySet[Indicator]


def feed_event(access: OrgAccess, event_id: str) -> FeedEvent | None:
    """The group behind an event id of this reader's feed; None when it has no such event."""
    feed = misp_feed(access)
    for group in feed_groups(access):
        if feed.event_uuid(group.publisher_id, group.tlp) == event_id:
            rows = misp_rows(access).filter(organisation_id=int(group.publisher_id), tlp=group.tlp)
            return FeedEvent(group, rows)
    return None


# --- Audit ----------------------------------------------------------------------------------------


def record_export(
    *,
    access: OrgAccess,
    file_format: str,
    count: int,
    request: HttpRequest | None = None,
    token: ApiToken | None = None,
    tlps: Iterable[str] = (),
) -> None:
    """The audit entry of one download: who took which indicators out, in which format."""
    details: dict[str, Any] = {"format": file_format, "count": count}
    if tlps:
        details["tlp"] = sorted(tlps)
    if token is not None:
        details["token"] = token.prefix
    audit(
        Action.INDICATORS_EXPORTED,
        actor=access.user,
        organisation=access.organisation,
        target_label=file_format,
        request=request,
        details=details,
    )

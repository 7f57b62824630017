"""What the centre sees of the establishments' exposure: one establishment's, one CVE's.

Always reached through the centre's access (supported_establishments): an establishment
outside the centre's support gives nothing, an establishment's own members get nothing here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from vigie.inventory.models import Criticality
from vigie.tenancy.access import OrgAccess, memberships_of, supported_establishments
from vigie.tenancy.models import Organisation
from vigie.vulns.models import OPEN_STATES, Alert, AlertAsset, Priority

TOP_ASSETS = 8
URGENT_ALERTS = 8
ASSETS_PER_ESTABLISHMENT = 20
_CRITICALITY_RANK = Case(
    When(asset__criticality="life-sustaining", then=Value(0)),
    When(asset__criticality="clinical", then=Value(1)),
    When(asset__criticality="business", then=Value(2)),
    When(asset__criticality="support", then=Value(3)),
    default=Value(4),
    output_field=IntegerField(),
)
_PRIORITY_RANK = Case(
    When(priority="act", then=Value(0)),
    When(priority="attend", then=Value(1)),
    When(priority="track*", then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def establishment_exposure(access: OrgAccess, establishment: Organisation) -> dict[str, Any]:
    """Open alerts by priority, overdue, the most critical affected assets, the most urgent."""
    alerts = Alert.objects.filter(
        organisation__in=supported_establishments(access).filter(pk=establishment.pk),
        state__in=OPEN_STATES,
    )
    counts = dict(
        alerts.values_list("priority").annotate(n=Count("pk")).values_list("priority", "n")
    )
    assets = (
        AlertAsset.objects.filter(alert__in=alerts, active=True)
        .values(
            "asset_id", "asset__name", "asset__version", "asset__location", "asset__criticality"
        )
        .annotate(
            rank=_CRITICALITY_RANK,
            alerts=Count("alert", distinct=True),
            act=Count("alert", filter=Q(alert__priority="act"), distinct=True),
            attend=Count("alert", filter=Q(alert__priority="attend"), distinct=True),
        )
        .order_by("rank", "-act", "-attend", "-alerts", "asset__name")[:TOP_ASSETS]
    )
    criticality = dict(Criticality.choices)
    urgent = (
        alerts.select_related("vulnerability")
        .annotate(rank=_PRIORITY_RANK)
        .order_by("rank", "remediation_due_at", "-first_seen")[:URGENT_ALERTS]
    )
    return {
        "priorities": [
            {"code": value, "label": label, "count": counts.get(value, 0)}
            for value, label in Priority.choices
        ],
        "open": sum(counts.values()),
        "overdue": alerts.filter(remediation_due_at__lt=timezone.now()).count(),
        "assets": [
            {**row, "criticality_label": criticality.get(row["asset__criticality"], "")}
            for row in assets
        ],
        "urgent": list(urgent),
        "is_member": memberships_of(access.user).filter(organisation=establishment).exists(),
    }


@dataclass(slots=True)
class ExposureRow:
    """One establishment's alert for the CVE, with the assets it affects."""

    alert: Alert
    assets: list[dict[str, Any]] = field(default_factory=list)
    more: int = 0
    # Members of the establishment open its own alert page; the centre opens its view of the
    # establishment (the centre never sees an establishment's alert pages or inventory).
    is_member: bool = False


def exposure_rows(access: OrgAccess, alerts: QuerySet[Alert]) -> list[ExposureRow]:
    """`alerts` must come from the centre's scope (views._sector_alerts)."""
    rows = {alert.pk: ExposureRow(alert=alert) for alert in alerts}
    seen: dict[int, set[int]] = defaultdict(set)
    for affected in (
        AlertAsset.objects.filter(alert__in=alerts, active=True)
        .values("alert_id", "asset_id", "asset__name", "asset__version", "asset__location")
        .order_by("alert_id", "asset__name", "asset_id")
    ):
        row = rows.get(affected["alert_id"])
        if row is None or affected["asset_id"] in seen[row.alert.pk]:
            continue
        seen[row.alert.pk].add(affected["asset_id"])
        if len(row.assets) < ASSETS_PER_ESTABLISHMENT:
            row.assets.append(dict(affected))
        else:
            row.more += 1
    member_of = set(
        memberships_of(access.user)
        .filter(organisation__in=supported_establishments(access))
        .values_list("organisation_id", flat=True)
    )
    for row in rows.values():
        row.is_member = row.alert.organisation_id in member_of
    return list(rows.values())

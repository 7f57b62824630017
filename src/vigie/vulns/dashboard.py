"""The vulnerability sections of the dashboards (establishment and centre), live-updating."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import Count, Max, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from vigie.core.charts import bars, chart_height
from vigie.tenancy.access import OrgAccess, org_access, scoped, supported_establishments
from vigie.tenancy.dashboard import Section, register_section
from vigie.tenancy.roles import OrgKind
from vigie.vulns.models import OPEN_STATES, Alert, AlertAsset, Priority

# As long as the trends beside it (vulns/trends.py): recounting every minute put a 130-450 ms
# request in each web process's minute at 50,000 assets (docs/performance.md).
UNITS_CACHE_SECONDS = 300


def _alerts_per_unit(
    org_pk: int, open_alerts: QuerySet[Alert], counts: dict[str, int]
) -> Counter[str]:
    """Open alerts per care unit, computed once per change of the alerts (at most every 5 min).

    Exact counting reads every open alert's affected assets (77,000 rows at 5,000 alerts: 130-
    450 ms on SQLite), too much for every view and every live refresh of the dashboard. The key
    holds the open alerts' counts by priority and their last update, so a new, closed or
    re-prioritised alert shows on the next view; an asset moved to another unit or a match
    withdrawn without the alert changing shows within UNITS_CACHE_SECONDS (5 minutes, as the
    trends).
    """
    last = open_alerts.aggregate(last=Max("updated_at"))["last"]
    fingerprint = ",".join(f"{k}={v}" for k, v in sorted(counts.items()))
    key = f"vigie:units:{org_pk}:{fingerprint}:{last.isoformat() if last else '-'}"
    found = cache.get(key)
    if isinstance(found, Counter):
        return found
    units: Counter[str] = Counter(
        dict(
            AlertAsset.objects.filter(alert__in=open_alerts, active=True)
            .values_list("asset__location")
            .annotate(n=Count("alert_id", distinct=True))
            .values_list("asset__location", "n")
        )
    )
    cache.set(key, units, UNITS_CACHE_SECONDS)
    return units


def establishment_section(access: OrgAccess) -> Section | None:
    if access.organisation.kind != OrgKind.ESTABLISHMENT:
        return None
    open_alerts = scoped(access, Alert.objects.filter(state__in=OPEN_STATES))
    counts = dict(
        open_alerts.values_list("priority").annotate(n=Count("pk")).values_list("priority", "n")
    )
    # Alerts per unit: an alert counts once in each unit where it affects an asset, however
    # many of that unit's assets it affects. (A second values_list() would replace the columns
    # the DISTINCT applies to, leaving one row, and so a count of one, per unit.)
    units = _alerts_per_unit(access.organisation.pk, open_alerts, counts)
    unit_bars = bars(
        ((unit or _("(no care unit)"), n) for unit, n in units.most_common(8)), css="accent"
    )
    rank = {"act": 0, "attend": 1, "track*": 2, "track": 3}
    urgent = sorted(
        open_alerts.select_related("vulnerability").filter(priority__in=["act", "attend"])[:50],
        key=lambda a: (rank[a.priority], a.first_seen),
    )[:6]
    return Section(
        template="vulns/_dashboard.html",
        order=10,
        context={
            "priorities": [
                {"code": value, "label": label, "count": counts.get(value, 0)}
                for value, label in Priority.choices
            ],
            "overdue": open_alerts.filter(remediation_due_at__lt=timezone.now()).count(),
            "unit_bars": unit_bars,
            "unit_height": chart_height(unit_bars),
            "urgent": urgent,
        },
    )


def centre_section(access: OrgAccess) -> Section | None:
    if access.organisation.kind != OrgKind.CENTRE:
        return None
    alerts = Alert.objects.filter(
        organisation__in=supported_establishments(access), state__in=OPEN_STATES
    )
    week = timezone.now() - timedelta(days=7)
    top = (
        alerts.filter(first_seen__gte=week)
        .values("vulnerability__vuln_id")
        .annotate(establishments=Count("organisation", distinct=True))
        .order_by("-establishments", "vulnerability__vuln_id")[:8]
    )
    return Section(
        template="vulns/_centre_dashboard.html",
        order=10,
        context={
            "act": alerts.filter(priority="act").count(),
            "escalated": alerts.filter(escalation_level__gte=2).count(),
            "establishments": alerts.values("organisation").distinct().count(),
            "top": list(top),
        },
    )


register_section(establishment_section)
register_section(centre_section)


@login_required
@require_GET
def dashboard_live(request: HttpRequest, org: str) -> HttpResponse:
    """The section alone, for the page to refresh itself."""
    access = org_access(request.user, org)
    section = establishment_section(access) or centre_section(access)
    context: dict[str, Any] = {"access": access, "section": section.context if section else {}}
    template = section.template if section else "vulns/_dashboard.html"
    return render(request, template, context)

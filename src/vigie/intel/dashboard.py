"""The threat-intelligence section of the dashboards: sightings to act on, advisories to read.

For an establishment: its new sightings (Act) and the advisories it has not acknowledged;
for a centre: its establishments' new sightings and, per published advisory, how many
establishments have not acknowledged it yet.
"""

from __future__ import annotations

from django.db.models import Count, F, Q

from vigie.intel.models import Advisory, AdvisoryReceipt, SightingState
from vigie.intel.visibility import visible_advisories, visible_sightings
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.dashboard import Section, register_section
from vigie.tenancy.roles import OrgKind


def intel_section(access: OrgAccess) -> Section | None:
    sightings = visible_sightings(access).filter(state=SightingState.NEW)
    latest = list(sightings.select_related("organisation").order_by("-last_seen")[:5])
    if access.organisation.kind == OrgKind.CENTRE:
        waiting = (
            Advisory.objects.filter(organisation=access.organisation, published_at__isnull=False)
            .annotate(
                missing=Count(
                    "receipts",
                    filter=~Q(receipts__acknowledged_version=F("receipts__version")),
                )
            )
            .filter(missing__gt=0)
            .select_related("current")
            .order_by("-published_at")[:5]
        )
        unacknowledged: list[Advisory] = list(waiting)
    else:
        received = AdvisoryReceipt.objects.filter(organisation=access.organisation).exclude(
            acknowledged_version=F("version")
        )
        unacknowledged = list(
            visible_advisories(access)
            .filter(pk__in=received.values("advisory_id"))
            .order_by("-published_at")[:5]
        )
    return Section(
        template="intel/_dashboard.html",
        order=20,
        context={
            "is_centre": access.organisation.kind == OrgKind.CENTRE,
            "new_sightings": sightings.count(),
            "latest_sightings": latest,
            "unacknowledged": unacknowledged,
        },
    )


register_section(intel_section)

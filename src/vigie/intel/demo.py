"""Demo indicators: real public files (demo_data/SOURCES.md) imported by the demo centre."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from vigie.core.demo import DemoReport, register_loader
from vigie.intel.imports import import_indicators
from vigie.intel.models import Indicator, IndicatorImport, Sighting, Tlp
from vigie.intel.sightings import Report, report_sighting
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import Membership
from vigie.tenancy.roles import OrgKind, Role

DATA = Path(__file__).resolve().parent / "demo_data"

# file, source shown to readers, marking
FILES = (
    ("apt1.stix.json", "OASIS STIX 2.1 examples (APT1 report)", Tlp.CLEAR),
    ("eset-oceanlotus-wateringhole.misp.json", "ESET malware-ioc (OceanLotus)", Tlp.GREEN),
    ("maltrail-lockbit.txt", "Maltrail (LockBit)", Tlp.GREEN),
    ("maltrail-rhysida.txt", "Maltrail (Rhysida)", Tlp.GREEN),
    ("ipsum-level3-head.txt", "IPsum (3+ blocklists)", Tlp.AMBER),
)


@register_loader(40, "indicators")
def load_indicators(report: DemoReport) -> None:
    membership = (
        Membership.objects.filter(organisation__kind=OrgKind.CENTRE, role=Role.ANALYST)
        .select_related("user", "organisation")
        .first()
    )
    if (
        membership is None
        or IndicatorImport.objects.filter(organisation=membership.organisation).exists()
    ):
        return
    access = OrgAccess(
        user=membership.user, organisation=membership.organisation, membership=membership
    )
    total = 0
    for name, source, tlp in FILES:
        job = import_indicators(
            access=access,
            data=(DATA / name).read_bytes(),
            file_name=name,
            source=source,
            default_tlp=tlp,
        )
        total += job.counts["indicators"]
    report.notes.append(f"indicators: {total} from {len(FILES)} files")


@register_loader(41, "sightings")
def load_sightings(report: DemoReport) -> None:
    """Two establishments saw LockBit and Rhysida names in their DNS and proxy logs."""
    if Sighting.objects.exists():
        return
    handlers = (
        Membership.objects.filter(
            organisation__kind=OrgKind.ESTABLISHMENT,
            role__in=(Role.SECURITY_OFFICER, Role.ADMIN),
            user__is_active=True,
        )
        .select_related("user", "organisation")
        .order_by("organisation__pk", "role")
    )
    chosen: dict[int, Membership] = {}
    for membership in handlers:
        chosen.setdefault(membership.organisation_id, membership)
    names = [
        value
        for source, count in (("Maltrail (LockBit)", 3), ("Maltrail (Rhysida)", 2))
        for value in Indicator.objects.filter(
            type="domain", suppressed=False, sources__source=source
        )
        .order_by("pk")
        .values_list("value", flat=True)[:count]
    ]
    now = timezone.now()
    stored = 0
    for index, membership in enumerate(list(chosen.values())[:2]):
        access = OrgAccess(
            user=membership.user, organisation=membership.organisation, membership=membership
        )
        for offset, value in enumerate(names[index::2]):
            report_sighting(
                access,
                Report(
                    type="domain",
                    value=value,
                    log_type="dns" if offset % 2 == 0 else "proxy",
                    count=3 + 7 * offset,
                    first_seen=now - timedelta(hours=20 - offset),
                    last_seen=now - timedelta(minutes=30 * (offset + 1)),
                ),
            )
            stored += 1
    report.notes.append(f"sightings: {stored}")

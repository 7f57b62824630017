"""Demo threat intelligence: real public indicator files (demo_data/SOURCES.md) imported by the
demo centre, sightings of some of them by two establishments, and two published advisories."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from vigie.core.demo import DemoReport, register_loader
from vigie.intel.advisories import Draft, publish, save_version
from vigie.intel.imports import import_indicators
from vigie.intel.models import Advisory, Indicator, IndicatorImport, Sighting, Tlp
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


# Each demo advisory and its audience.
ADVISORIES: tuple[tuple[Draft, str], ...] = (
    (
        Draft(
            title="Apache HTTP Server: mod_rewrite flaw exploited (CVE-2024-38475)",
            summary=(
                "Improper escaping in mod_rewrite lets a remote attacker map URLs to files the "
                "server was not meant to serve, including source code; CISA lists it as "
                "exploited. Portals, PACS viewers and appointment sites often run Apache 2.4 in "
                "front of hospital systems."
            ),
            severity="critical",
            tlp=Tlp.AMBER,
            cves=["CVE-2024-38475"],
            products="Apache HTTP Server 2.4.0 to 2.4.59",
            actions=(
                "Upgrade to Apache HTTP Server 2.4.60 or later. Until then, review RewriteRule "
                "substitutions that use the first path segment, and look in the access logs "
                "for requests ending with an encoded question mark (%3F)."
            ),
            references=["https://httpd.apache.org/security/vulnerabilities_24.html"],
        ),
        "affected",
    ),
    (
        Draft(
            title="LockBit and Rhysida infrastructure: block the shared names",
            summary=(
                "Ransomware groups that hit French hospitals in 2023 and 2024 keep command and "
                "leak sites on the names shared in the Indicators page (Maltrail lists, "
                "TLP:GREEN)."
            ),
            severity="high",
            tlp=Tlp.GREEN,
            actions=(
                "Load the domain blocklist or the RPZ zone (Indicators → Export) in your "
                "resolvers and proxies, and report any sighting through the API."
            ),
            references=["https://github.com/stamparm/maltrail"],
        ),
        "all",
    ),
)


@register_loader(42, "advisories")
def load_advisories(report: DemoReport) -> None:
    """Two published advisories of the demo centre: one to the affected, one to all."""
    membership = (
        Membership.objects.filter(organisation__kind=OrgKind.CENTRE, role=Role.ANALYST)
        .select_related("user", "organisation")
        .first()
    )
    if membership is None or Advisory.objects.exists():
        return
    access = OrgAccess(
        user=membership.user, organisation=membership.organisation, membership=membership
    )
    delivered = 0
    for draft, audience in ADVISORIES:
        advisory = save_version(access, None, draft)
        advisory.audience = audience
        advisory.save(update_fields=["audience"])
        delivered += publish(access, advisory)
    report.notes.append(f"advisories: {len(ADVISORIES)}, {delivered} receipts")

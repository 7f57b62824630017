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


# Each demo advisory and its audience, written in French as the demo centre would write them.
ADVISORIES: tuple[tuple[Draft, str], ...] = (
    (
        Draft(
            title="Apache HTTP Server : faille de mod_rewrite exploitée (CVE-2024-38475)",
            summary=(
                "Un échappement incorrect dans mod_rewrite permet à un attaquant distant de faire "
                "servir des fichiers qui ne devaient pas l’être, code source compris ; la CISA la "
                "signale comme exploitée. Portails patients, visionneuses PACS et prises de "
                "rendez-vous tournent souvent sur Apache 2.4 devant les systèmes de l’hôpital."
            ),
            severity="critical",
            tlp=Tlp.AMBER,
            cves=["CVE-2024-38475"],
            products="Apache HTTP Server 2.4.0 à 2.4.59",
            actions=(
                "Passez à Apache HTTP Server 2.4.60 ou plus récent. D’ici là, revoyez les "
                "substitutions RewriteRule qui reprennent le premier segment du chemin, et "
                "cherchez dans les journaux d’accès les requêtes finissant par un point "
                "d’interrogation encodé (%3F)."
            ),
            references=["https://httpd.apache.org/security/vulnerabilities_24.html"],
        ),
        "affected",
    ),
    (
        Draft(
            title="Infrastructure LockBit et Rhysida : bloquez les noms partagés",
            summary=(
                "Les groupes de rançongiciels qui ont frappé des hôpitaux français en 2023 et 2024 "
                "gardent leurs serveurs de commande et leurs sites de fuite sur les noms partagés "
                "dans la page Indicateurs (listes Maltrail, TLP:GREEN)."
            ),
            severity="high",
            tlp=Tlp.GREEN,
            actions=(
                "Chargez la liste de blocage des domaines ou la zone RPZ (Indicateurs → Exporter) "
                "dans vos résolveurs et proxys, et signalez toute observation par l’API."
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

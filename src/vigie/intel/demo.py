"""Demo indicators: real public files (demo_data/SOURCES.md) imported by the demo centre."""

from __future__ import annotations

from pathlib import Path

from vigie.core.demo import DemoReport, register_loader
from vigie.intel.imports import import_indicators
from vigie.intel.models import IndicatorImport, Tlp
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

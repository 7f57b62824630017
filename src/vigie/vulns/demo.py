"""Demo data for the early-warning service: real inventories of three establishments and real
vulnerability feeds (a selection of ../shared/data made by scripts/build_demo_data.py)."""

from __future__ import annotations

from pathlib import Path

from django.utils import timezone

from vigie.core.demo import DEMO_HISTORY, DemoReport, register_loader
from vigie.engines.offline import load_feed_paths
from vigie.inventory import imports
from vigie.inventory.models import Asset
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import Membership, Organisation
from vigie.tenancy.roles import Role
from vigie.vulns.feed_import import store_and_match
from vigie.vulns.models import Alert, FeedRecord, FeedRun
from vigie.vulns.pending import match_import
from vigie.vulns.runs import finish_run, start_run

DATA = Path(__file__).resolve().parent / "demo_data"


def _admin_access(slug: str) -> OrgAccess | None:
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        return None
    membership = (
        Membership.objects.filter(organisation=organisation, role=Role.ADMIN)
        .select_related("user", "organisation")
        .first()
    )
    if membership is None:
        return None
    return OrgAccess(user=membership.user, organisation=organisation, membership=membership)


@register_loader(20, "inventories")
def load_inventories(report: DemoReport) -> None:
    for path in sorted((DATA / "inventories").glob("*.csv")):
        access = _admin_access(path.stem)
        if access is None or Asset.objects.filter(organisation=access.organisation).exists():
            continue
        with path.open("rb") as stream:
            job = imports.preview(access=access, stream=stream, file_name=path.name)
        imports.commit(access=access, job=job)
        # Matched here rather than by the worker that starts after the loaders: the demo is
        # complete when `vigie demo --no-serve` returns (a no-op if the task already ran).
        match_import(job.pk)
        # The demo's hospitals have kept their inventory for a while: readiness computed "as of"
        # the past weeks (its trend) must not read "no inventory" for them.
        Asset.objects.filter(organisation=access.organisation).update(
            created_at=timezone.now() - DEMO_HISTORY
        )
        rows = job.summary["rows"]
        report.notes.append(f"inventory of {access.organisation.name}: {rows} assets")


@register_loader(30, "vulnerability feeds")
def load_feeds(report: DemoReport) -> None:
    if FeedRecord.objects.exists():
        return
    content, fatal = load_feed_paths([DATA / "feeds"])
    if fatal:
        raise RuntimeError("; ".join(str(e) for e in fatal[:3]))
    run = start_run(source="file", location="demo data", triggered_by="demo")
    summary = store_and_match(content, run=run)
    finish_run(run, FeedRun.State.OK, summary, [])
    report.notes.append(
        f"feeds: {summary['records_created']} records, {summary.get('alerts_created', 0)} alerts"
    )
    report.notes.append(f"open alerts: {Alert.objects.count()}")

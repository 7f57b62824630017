"""The readiness section of the dashboards: the overall score and the weakest pillar.

For an establishment, computed now; for a centre, the mean of its establishments' latest daily
snapshots (one query, not every provider of every establishment at each view)."""

from __future__ import annotations

from vigie.engines.readiness.overall import level_of, mean_score, weakest
from vigie.readiness import present
from vigie.readiness.models import ReadinessSnapshot
from vigie.readiness.pillars import pillars
from vigie.readiness.scores import point_of, readiness_of
from vigie.tenancy.access import OrgAccess, supported_establishments
from vigie.tenancy.dashboard import Section, register_section
from vigie.tenancy.roles import Cap, OrgKind


def readiness_section(access: OrgAccess) -> Section | None:
    specs = pillars()
    labels = {spec.code: str(spec.label) for spec in specs}
    if access.organisation.kind == OrgKind.CENTRE:
        if not access.can(Cap.VIEW_SECTOR):
            return None
        latest: dict[int, ReadinessSnapshot] = {}
        for snapshot in ReadinessSnapshot.objects.filter(
            organisation__in=supported_establishments(access)
        ).order_by("organisation_id", "taken_on"):
            latest[snapshot.organisation_id] = snapshot
        if not latest:
            return None
        points = [point_of(snapshot) for snapshot in latest.values()]
        means = {
            spec.code: value
            for spec in specs
            if (value := mean_score([p.pillars.get(spec.code) for p in points])) is not None
        }
        overall = mean_score([p.overall for p in points])
        weakest_code = weakest(means)
        score = overall
    else:
        readiness = readiness_of(access.organisation)
        score = readiness.overall
        weakest_code = weakest(readiness.scores)
        means = readiness.scores
    level = level_of(score)
    return Section(
        template="readiness/_dashboard.html",
        order=12,
        context={
            "is_centre": access.organisation.kind == OrgKind.CENTRE,
            "score": score,
            "level_label": present.level_label(level),
            "level_css": present.level_css(level),
            "weakest_label": labels.get(weakest_code or "", ""),
            "weakest_score": means.get(weakest_code or ""),
        },
    )


register_section(readiness_section)

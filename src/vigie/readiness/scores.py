"""Readiness of an establishment: the registered pillars evaluated as of a moment, the overall
score, and the daily snapshots that make the trend.

Everything reads the registry (`vigie.readiness.pillars`): a pillar registered by any app
counts, and nothing here knows which apps exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from vigie.engines.readiness import Pillar
from vigie.engines.readiness.overall import (
    Level,
    Point,
    level_of,
    overall_score,
    reason_to_json,
)
from vigie.readiness.days import local_date
from vigie.readiness.models import ReadinessSnapshot
from vigie.readiness.pillars import PillarSpec, evaluate
from vigie.tenancy.models import Organisation
from vigie.tenancy.roles import OrgKind

TREND_WEEKS = 12


@dataclass(frozen=True)
class Readiness:
    organisation: Organisation
    at: datetime
    pillars: list[tuple[PillarSpec, Pillar]]

    @property
    def scores(self) -> dict[str, int]:
        return {pillar.code: pillar.score for _spec, pillar in self.pillars}

    @property
    def overall(self) -> int | None:
        return overall_score(self.scores)

    @property
    def level(self) -> Level | None:
        return level_of(self.overall)


def readiness_of(organisation: Organisation, now: datetime | None = None) -> Readiness:
    """Every registered pillar of `organisation` as it stood at `now`."""
    at = now or timezone.now()
    return Readiness(organisation=organisation, at=at, pillars=evaluate(organisation, at))


def snapshot_pillars(readiness: Readiness) -> dict[str, object]:
    return {
        pillar.code: {
            "score": pillar.score,
            "reasons": [reason_to_json(reason) for reason in pillar.reasons],
        }
        for _spec, pillar in readiness.pillars
    }


def record_snapshot(organisation: Organisation, now: datetime | None = None) -> ReadinessSnapshot:
    """The day's snapshot of `organisation`, computed as of `now`: one row per day, updated by
    a later run the same day (the last computation of the day stands)."""
    readiness = readiness_of(organisation, now)
    with transaction.atomic():
        snapshot, _created = ReadinessSnapshot.objects.update_or_create(
            organisation=organisation,
            taken_on=local_date(readiness.at),
            defaults={
                "taken_at": readiness.at,
                "overall": readiness.overall if readiness.overall is not None else 0,
                "pillars": snapshot_pillars(readiness),
            },
        )
    return snapshot


def establishments() -> list[Organisation]:
    return list(
        Organisation.objects.filter(kind=OrgKind.ESTABLISHMENT, is_active=True).order_by("pk")
    )


def record_snapshots(now: datetime | None = None) -> int:
    """Today's snapshot of every active establishment; returns how many were recorded."""
    at = now or timezone.now()
    count = 0
    for organisation in establishments():
        record_snapshot(organisation, at)
        count += 1
    return count


# --- Reading the snapshots ----------------------------------------------------------------------


def point_of(snapshot: ReadinessSnapshot) -> Point:
    pillars: dict[str, int] = {}
    data = snapshot.pillars if isinstance(snapshot.pillars, dict) else {}
    for code, value in data.items():
        score = value.get("score") if isinstance(value, dict) else None
        if isinstance(score, int):
            pillars[str(code)] = score
    return Point(taken_on=snapshot.taken_on, overall=snapshot.overall, pillars=pillars)


def trend_start(today: date) -> date:
    return today - timedelta(weeks=TREND_WEEKS)


def snapshots_since(organisations: list[Organisation], since: date) -> dict[int, list[Point]]:
    """The points of each organisation from `since` on, by organisation id (one query)."""
    result: dict[int, list[Point]] = {org.pk: [] for org in organisations}
    for snapshot in ReadinessSnapshot.objects.filter(
        organisation__in=organisations, taken_on__gte=since
    ).order_by("taken_on"):
        result.setdefault(snapshot.organisation_id, []).append(point_of(snapshot))
    return result


def latest_snapshot(organisation: Organisation) -> ReadinessSnapshot | None:
    return ReadinessSnapshot.objects.filter(organisation=organisation).order_by("-taken_on").first()

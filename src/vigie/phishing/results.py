"""What a campaign shows: counts and rates of each event, overall and by service, the median
time to report, and repeat clickers; never who. Services of fewer than MIN_GROUP recipients are
merged into "other services", so that no figure points at one person.

Every read takes `now` and ignores what happened after it (the readiness trend's past points).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone

from vigie.phishing.models import Campaign, State, Target
from vigie.tenancy.models import Organisation

MIN_GROUP = 5
OTHER = "\x00other"  # the merged small services; the page names it
UNNAMED = "\x00none"  # recipients without a service
EVENTS = ("opened_at", "clicked_at", "submitted_at", "reported_at")
FINISHED = (State.DONE, State.STOPPED)


@dataclass
class Counts:
    recipients: int = 0
    sent: int = 0
    opened: int = 0
    clicked: int = 0
    submitted: int = 0
    reported: int = 0
    repeat_clickers: int = 0
    report_delays: list[float] = field(default_factory=list)  # seconds

    def _rate(self, value: int) -> float | None:
        return value / self.sent if self.sent else None

    @property
    def opened_rate(self) -> float | None:
        return self._rate(self.opened)

    @property
    def clicked_rate(self) -> float | None:
        return self._rate(self.clicked)

    @property
    def submitted_rate(self) -> float | None:
        return self._rate(self.submitted)

    @property
    def reported_rate(self) -> float | None:
        return self._rate(self.reported)

    @property
    def median_report(self) -> timedelta | None:
        if not self.report_delays:
            return None
        return timedelta(seconds=round(statistics.median(self.report_delays)))

    def add(self, other: Counts) -> None:
        self.recipients += other.recipients
        self.sent += other.sent
        self.opened += other.opened
        self.clicked += other.clicked
        self.submitted += other.submitted
        self.reported += other.reported
        self.repeat_clickers += other.repeat_clickers
        self.report_delays.extend(other.report_delays)


@dataclass(frozen=True)
class ServiceRow:
    service: str  # a name, or OTHER / UNNAMED
    counts: Counts


@dataclass(frozen=True)
class CampaignResults:
    total: Counts
    services: list[ServiceRow]


def _at(value: datetime | None, now: datetime) -> bool:
    return value is not None and value <= now


def repeat_hashes(organisation: Organisation, now: datetime) -> set[str]:
    """Address hashes that clicked in two or more of the establishment's campaigns by `now`."""
    rows = (
        Target.objects.filter(
            campaign__organisation=organisation, clicked_at__isnull=False, clicked_at__lte=now
        )
        .values("address_hash")
        .annotate(campaigns=Count("campaign", distinct=True))
        .filter(campaigns__gte=2)
        .values_list("address_hash", flat=True)
    )
    return set(rows)


def _count(targets: Iterable[Target], now: datetime, repeaters: set[str]) -> Counts:
    counts = Counts()
    for target in targets:
        counts.recipients += 1
        if not _at(target.sent_at, now):
            continue
        counts.sent += 1
        counts.opened += _at(target.opened_at, now)
        counts.clicked += _at(target.clicked_at, now)
        counts.submitted += _at(target.submitted_at, now)
        if _at(target.reported_at, now) and target.reported_at and target.sent_at:
            counts.reported += 1
            counts.report_delays.append((target.reported_at - target.sent_at).total_seconds())
        if _at(target.clicked_at, now) and target.address_hash in repeaters:
            counts.repeat_clickers += 1
    return counts


def _targets(campaign: Campaign) -> QuerySet[Target]:
    return Target.objects.filter(campaign=campaign).only(
        "address_hash", "service", "sent_at", *EVENTS
    )


def campaign_results(campaign: Campaign, now: datetime | None = None) -> CampaignResults:
    now = now or timezone.now()
    repeaters = repeat_hashes(campaign.organisation, now)
    by_service: dict[str, list[Target]] = defaultdict(list)
    targets = list(_targets(campaign))
    for target in targets:
        by_service[target.service.strip() or UNNAMED].append(target)
    rows: list[ServiceRow] = []
    other = Counts()
    for service in sorted(by_service, key=lambda name: name.lower()):
        counts = _count(by_service[service], now, repeaters)
        if counts.recipients < MIN_GROUP:
            other.add(counts)
        else:
            rows.append(ServiceRow(service, counts))
    if other.recipients:
        rows.append(ServiceRow(OTHER, other))
    return CampaignResults(total=_count(targets, now, repeaters), services=rows)


def finished_campaigns(organisation: Organisation, now: datetime) -> QuerySet[Campaign]:
    return Campaign.objects.filter(
        organisation=organisation,
        state__in=FINISHED,
        finished_at__isnull=False,
        finished_at__lte=now,
    ).order_by("-finished_at", "-pk")


@dataclass(frozen=True)
class SectorRow:
    organisation: Organisation
    campaigns: int
    counts: Counts


def sector_results(
    establishments: Iterable[Organisation], now: datetime | None = None
) -> tuple[list[SectorRow], Counts]:
    """Per establishment, its finished campaigns added up; and the sector's total."""
    now = now or timezone.now()
    rows: list[SectorRow] = []
    total = Counts()
    for organisation in establishments:
        campaigns = list(finished_campaigns(organisation, now))
        counts = Counts()
        targets = Target.objects.filter(campaign__in=campaigns).only("sent_at", *EVENTS)
        counts.add(_count(targets, now, set()))
        rows.append(SectorRow(organisation, len(campaigns), counts))
        total.add(counts)
    return rows, total

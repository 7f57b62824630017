"""The incidents observatory: anonymised aggregates over the incidents of a centre's community,
after the ANS Observatoire des incidents de sécurité des SI de santé.

Two readers:
- the support centre reads exact counts over the establishments it supports (it reads their
  cases anyway);
- an establishment reads the sector (its centre's community) with small counts hidden by
  `vigie.engines.incidents.suppression`, next to its own counts, exact since they are its own.

The sector an establishment reads is suppressed on the *other* establishments' counts, and its
own counts are added back after. Suppressing the whole sector would not do: the establishment
knows its own count, so a published sector cell of 6 next to its own 5 would give back the
others' lone incident.

Counting is done in the database (values() and Count); only the response-time medians read
two time columns per incident, and the deadlines share computes each case's clocks, which are
never stored (see `vigie.incidents.deadlines`).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractYear, TruncMonth
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from vigie.engines.incidents.clocks import Status
from vigie.engines.incidents.suppression import published_total, suppress, suppress_series
from vigie.incidents.deadlines import clocks_of
from vigie.incidents.models import Category, Endangerment, Incident, Origin, Submission
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import Organisation, Region, StructureType
from vigie.tenancy.roles import OrgKind

THRESHOLD = 5  # no cell under 5 is published outside the centre
MONTHS = 24  # the volume per month covers the last two years
YES, NO = "yes", "no"

Counter = Callable[[QuerySet[Incident]], dict[str, int]]


# --- Results ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cell:
    key: str
    label: str
    count: int | None  # None: hidden
    own: int | None = None  # the reading establishment's own count; None in the centre's view

    @property
    def hidden(self) -> bool:
        return self.count is None


@dataclass(frozen=True, slots=True)
class Breakdown:
    code: str
    title: str
    cells: tuple[Cell, ...]
    total: int | None  # the incidents counted (None: hidden); the cells may each count apart
    own_total: int | None = None

    @property
    def shown(self) -> list[Cell]:
        """The cells worth a bar: published and not zero."""
        return [cell for cell in self.cells if cell.count]

    @property
    def hidden(self) -> list[Cell]:
        return [cell for cell in self.cells if cell.count is None]


@dataclass(frozen=True, slots=True)
class ResponseTime:
    code: str
    label: str
    hours: float | None  # the median; None when hidden or when there is nothing to measure
    incidents: int | None  # how many incidents the median is computed on; None: hidden
    own_hours: float | None = None
    own_incidents: int | None = None


@dataclass(frozen=True, slots=True)
class DeadlinesMet:
    """Reports submitted in time among those that fell due (submitted, late or overdue)."""

    met: int | None  # None: hidden
    due: int | None
    own_met: int | None = None
    own_due: int | None = None


@dataclass(frozen=True, slots=True)
class Observatory:
    exact: bool  # the centre's view: nothing hidden
    year: int | None
    incidents: int | None
    structures: int | None  # establishments that declared at least one incident
    years: Breakdown
    months: Breakdown
    breakdowns: tuple[Breakdown, ...]
    response: tuple[ResponseTime, ...]
    deadlines: DeadlinesMet
    own_incidents: int | None = None

    def breakdown(self, code: str) -> Breakdown:
        return next(b for b in (self.years, self.months, *self.breakdowns) if b.code == code)


# --- Scope ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scope:
    """The incidents counted: for the centre, its community (`own` is None); for an
    establishment, the rest of its community (`others`) and its own."""

    others: QuerySet[Incident]
    own: QuerySet[Incident] | None

    @property
    def exact(self) -> bool:
        return self.own is None

    def filter(self, **lookups: object) -> Scope:
        return Scope(
            others=self.others.filter(**lookups),
            own=self.own.filter(**lookups) if self.own is not None else None,
        )


def community_incidents(centre: Organisation) -> QuerySet[Incident]:
    return Incident.objects.filter(organisation__centre=centre)


def scope_for(access: OrgAccess) -> Scope:
    reader = access.organisation
    if reader.kind == OrgKind.CENTRE:
        return Scope(others=community_incidents(reader), own=None)
    own = Incident.objects.filter(organisation=reader)
    if reader.centre_id is None:
        return Scope(others=Incident.objects.none(), own=own)
    others = Incident.objects.filter(organisation__centre_id=reader.centre_id)
    return Scope(others=others.exclude(organisation=reader), own=own)


def first_year(scope: Scope) -> int | None:
    firsts = [scope.others.aggregate(first=Min("declared_at"))["first"]]
    if scope.own is not None:
        firsts.append(scope.own.aggregate(first=Min("declared_at"))["first"])
    known = [timezone.localtime(first).year for first in firsts if first is not None]
    return min(known, default=None)


# --- Publishing ---------------------------------------------------------------------------------


def _published(
    others: Mapping[str, int], own: Mapping[str, int] | None, *, with_total: bool = True
) -> dict[str, int | None]:
    """The cells a reader may see: exact for the centre. For an establishment, the sector
    (the others' counts and its own) with what suppression hides in the others' counts (what
    its own count would give back) and in the sector's (what anyone shown the page would
    read): a sector cell of 1 would point at the reader itself."""
    if own is None:
        return {key: int(value) for key, value in others.items()}
    sector = {key: value + own.get(key, 0) for key, value in others.items()}
    by_others = suppress_series(others, THRESHOLD, with_total=with_total)
    by_sector = suppress_series(sector, THRESHOLD, with_total=with_total)
    return {
        key: None if by_others[key] is None or by_sector[key] is None else value
        for key, value in sector.items()
    }


def _published_count(others: int, own: int | None) -> int | None:
    if own is None:
        return others
    if published_total([others], THRESHOLD) is None:
        return None
    return published_total([others + own], THRESHOLD)


def _counts(rows: QuerySet[Incident], field: str, keys: Iterable[str]) -> dict[str, int]:
    """Incidents per value of `field`, every key of `keys` present (zero when none)."""
    counts = dict.fromkeys(keys, 0)
    for row in rows.values(field).annotate(n=Count("id")).order_by():
        key = "" if row[field] is None else str(row[field])
        counts[key] = counts.get(key, 0) + row["n"]
    return counts


def _breakdown(
    scope: Scope, code: str, title: str, count: Counter, labels: Mapping[str, str]
) -> Breakdown:
    """A breakdown whose cells share the incidents out (one cell each): its total is
    published, so suppression hides a second cell wherever one is hidden."""
    raw_others = count(scope.others)
    raw_own = count(scope.own) if scope.own is not None else None
    keys = list(dict.fromkeys([*raw_others, *(raw_own or {})]))
    others = {key: raw_others.get(key, 0) for key in keys}
    own = {key: raw_own.get(key, 0) for key in keys} if raw_own is not None else None
    published = _published(others, own)
    cells = tuple(
        Cell(
            key=key,
            label=labels.get(key, key),
            count=published[key],
            own=own[key] if own is not None else None,
        )
        for key in keys
    )
    own_total = sum(own.values()) if own is not None else None
    return Breakdown(
        code=code,
        title=title,
        cells=cells,
        total=_published_count(sum(others.values()), own_total),
        own_total=own_total,
    )


def _choices(choices: Iterable[tuple[str, str | Promise]], blank: str = "") -> dict[str, str]:
    labels = {str(value): str(label) for value, label in choices}
    if blank:
        labels[""] = blank
    return labels


# --- Breakdowns ---------------------------------------------------------------------------------


def _by(field: str, keys: Iterable[str] = ()) -> Counter:
    kept = tuple(keys)
    return lambda rows: _counts(rows, field, kept)


def _yes_no(field: str) -> Counter:
    def count(rows: QuerySet[Incident]) -> dict[str, int]:
        flagged = rows.annotate(
            flag=Case(
                When(**{field: True}, then=Value(YES)), default=Value(NO), output_field=CharField()
            )
        )
        return _counts(flagged, "flag", (YES, NO))

    return count


IMPACTS = ("none", "degraded_mode", "care_is_interrupted")


def _operational_impact(rows: QuerySet[Incident]) -> dict[str, int]:
    # One bucket per incident, the worst first: care-IS interruption, then degraded mode.
    bucketed = rows.annotate(
        impact=Case(
            When(care_is_interrupted=True, then=Value("care_is_interrupted")),
            When(degraded_mode=True, then=Value("degraded_mode")),
            default=Value("none"),
            output_field=CharField(),
        )
    )
    return _counts(bucketed, "impact", IMPACTS)


DATA_IMPACT = ("availability", "integrity", "confidentiality", "personal_data", "health_data")


def _data_impact(scope: Scope) -> Breakdown:
    """Each kind of data impact counted apart (an incident may have several). Each count is
    suppressed with its complement (incidents without that impact), since the total is
    published: 98 of 100 would otherwise tell the 2 without."""
    labels = {
        "availability": _("Availability"),
        "integrity": _("Integrity"),
        "confidentiality": _("Confidentiality"),
        "personal_data": _("Personal data"),
        "health_data": _("Health data"),
    }

    def flags(rows: QuerySet[Incident]) -> dict[str, int]:
        counted = {name: Count("id", filter=Q(**{name: True})) for name in DATA_IMPACT}
        return {k: int(v) for k, v in rows.aggregate(all=Count("id"), **counted).items()}

    others = flags(scope.others)
    own = flags(scope.own) if scope.own is not None else None
    cells = []
    for name in DATA_IMPACT:
        pair = {YES: others[name], NO: others["all"] - others[name]}
        own_pair = {YES: own[name], NO: own["all"] - own[name]} if own is not None else None
        cells.append(
            Cell(
                key=name,
                label=labels[name],
                count=_published(pair, own_pair)[YES],
                own=own[name] if own is not None else None,
            )
        )
    own_total = own["all"] if own is not None else None
    return Breakdown(
        code="data_impact",
        title=_("Data impact"),
        cells=tuple(cells),
        total=_published_count(others["all"], own_total),
        own_total=own_total,
    )


def month_starts(now: datetime, year: int | None = None) -> list[datetime]:
    """The first instants of the months shown: the last `MONTHS`, or those of `year` so far."""
    local = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if year is not None:
        last = 12 if year < local.year else local.month
        return [local.replace(year=year, month=month) for month in range(1, last + 1)]
    starts = []
    y, m = local.year, local.month
    for _step in range(MONTHS):
        starts.append(local.replace(year=y, month=m))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return starts[::-1]


def _months(scope: Scope, now: datetime, year: int | None) -> Breakdown:
    """Incidents per month. Suppressed as a table of (year, month) with the year totals
    published (the volume per year), so that no year's total gives back a hidden month."""
    starts = month_starts(now, year)
    keys = [f"{start:%Y-%m}" for start in starts]

    def count(rows: QuerySet[Incident]) -> dict[str, int]:
        counts = dict.fromkeys(keys, 0)
        per_month = (
            rows.filter(declared_at__gte=starts[0])
            .annotate(month=TruncMonth("declared_at"))
            .values("month")
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in per_month:
            key = f"{timezone.localtime(row['month']):%Y-%m}"
            if key in counts:
                counts[key] += row["n"]
        return counts

    others = count(scope.others)
    own = count(scope.own) if scope.own is not None else None
    published: dict[str, int | None] = dict(others.items())
    if own is not None:
        sector = {key: n + own[key] for key, n in others.items()}
        by_others = suppress({(k[:4], k): n for k, n in others.items()}, THRESHOLD, margins=(1,))
        by_sector = suppress({(k[:4], k): n for k, n in sector.items()}, THRESHOLD, margins=(1,))
        for key in keys:
            cell = (key[:4], key)
            published[key] = None if None in (by_others[cell], by_sector[cell]) else sector[key]
    cells = tuple(
        Cell(
            key=key,
            label=formats.date_format(start, "YEAR_MONTH_FORMAT"),
            count=published[key],
            own=own[key] if own is not None else None,
        )
        for key, start in zip(keys, starts, strict=True)
    )
    # No total for the months: the window cuts years, and the year totals are published.
    return Breakdown(
        code="month",
        title=_("Incidents per month"),
        cells=cells,
        total=None,
        own_total=sum(own.values()) if own is not None else None,
    )


def _per_year(rows: QuerySet[Incident]) -> dict[str, int]:
    per_year = (
        rows.annotate(y=ExtractYear("declared_at"))
        .values("y")
        .annotate(n=Count("id"))
        .order_by("y")
    )
    return {str(row["y"]): row["n"] for row in per_year}


def _years(scope: Scope) -> Breakdown:
    breakdown = _breakdown(scope, "year", _("Incidents per year"), _per_year, {})
    return Breakdown(
        code=breakdown.code,
        title=breakdown.title,
        cells=tuple(sorted(breakdown.cells, key=lambda cell: cell.key)),
        total=breakdown.total,
        own_total=breakdown.own_total,
    )


def _structures(scope: Scope) -> int | None:
    others = scope.others.values("organisation").distinct().count()
    if scope.own is None:
        return others
    return _published_count(others, 1 if scope.own.exists() else 0)


# --- Response times -----------------------------------------------------------------------------

RESPONSE: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("detect", ("first_malicious_at",), "detected_at"),
    ("contain", ("aware_at", "detected_at"), "contained_at"),
    ("recover", ("aware_at",), "recovered_at"),
)


def _hours(rows: QuerySet[Incident], start: tuple[str, ...], end: str) -> list[float]:
    """The durations from the first of the `start` times recorded to `end`, in hours, of the
    incidents that have both. A negative one is a mistyped time, not a measure: left out."""
    began_at = Coalesce(*start) if len(start) > 1 else F(start[0])
    pairs = (
        rows.annotate(began_at=began_at)
        .filter(began_at__isnull=False, **{f"{end}__isnull": False})
        .values_list("began_at", end)
        .order_by()
    )
    durations = []
    for began, ended in pairs:
        delta: timedelta = ended - began
        if delta >= timedelta(0):
            durations.append(delta.total_seconds() / 3600)
    return durations


def _median(hours: list[float]) -> float | None:
    return round(statistics.median(hours), 1) if hours else None


def _response(scope: Scope) -> tuple[ResponseTime, ...]:
    labels = {
        "detect": _("Time to detect (from the first malicious action)"),
        "contain": _("Time to contain (from awareness, or detection)"),
        "recover": _("Time to recover (from awareness)"),
    }
    result = []
    for code, start, end in RESPONSE:
        others = _hours(scope.others, start, end)
        if scope.own is None:
            result.append(
                ResponseTime(
                    code=code, label=labels[code], hours=_median(others), incidents=len(others)
                )
            )
            continue
        own = _hours(scope.own, start, end)
        # Hidden when too few incidents have the times: the median would tell theirs.
        hidden = 0 < len(others) < THRESHOLD or 0 < len(others) + len(own) < THRESHOLD
        result.append(
            ResponseTime(
                code=code,
                label=labels[code],
                hours=None if hidden else _median(others + own),
                incidents=None if hidden else len(others) + len(own),
                own_hours=_median(own),
                own_incidents=len(own),
            )
        )
    return tuple(result)


# --- Deadlines --------------------------------------------------------------------------------


def _deadline_counts(rows: QuerySet[Incident], now: datetime) -> tuple[int, int]:
    """(met, due). The clocks are never stored (they follow the facts), so each case with a
    started clock or a submission is read, with only the fields its clocks need."""
    cases = (
        rows.filter(
            Q(aware_at__isnull=False) | Exists(Submission.objects.filter(incident=OuterRef("pk")))
        )
        .select_related("organisation")
        .only(
            "aware_at",
            "personal_data",
            "high_risk_to_people",
            "recovered_at",
            "closed_at",
            "intermediate_requested_due",
            "organisation__nis2_class",
        )
        .prefetch_related("submissions")
        .order_by()
    )
    met = due = 0
    for incident in cases.iterator(chunk_size=500):
        for obligation in clocks_of(incident, now):
            if obligation.status == Status.SUBMITTED:
                met += 1
                due += 1
            elif obligation.status in (Status.SUBMITTED_LATE, Status.OVERDUE):
                due += 1
    return met, due


def _deadlines(scope: Scope, now: datetime) -> DeadlinesMet:
    met, due = _deadline_counts(scope.others, now)
    if scope.own is None:
        return DeadlinesMet(met=met, due=due)
    own_met, own_due = _deadline_counts(scope.own, now)
    # The others' reports in time and not in time, suppressed together: either small would
    # be given back by the other and the total.
    published = _published(
        {"met": met, "missed": due - met}, {"met": own_met, "missed": own_due - own_met}
    )
    hidden = published["met"] is None or published["missed"] is None
    return DeadlinesMet(
        met=None if hidden else published["met"],
        due=None if hidden else due + own_due,
        own_met=own_met,
        own_due=own_due,
    )


def share(part: int | None, whole: int | None) -> float | None:
    """Percent of `whole` that `part` is; None when hidden or when `whole` is nothing."""
    if part is None or not whole:
        return None
    return round(100.0 * part / whole, 1)


# --- The whole page ------------------------------------------------------------------------------


def observatory(scope: Scope, *, now: datetime, year: int | None = None) -> Observatory:
    """Every figure of the page for the scope's reader, `year` only when given."""
    years = _years(scope)
    if year is not None:
        scope = scope.filter(declared_at__year=year)
    yes_no = {YES: _("Yes"), NO: _("No")}
    breakdowns = (
        _breakdown(
            scope,
            "structure_type",
            _("By type of structure"),
            _by("organisation__structure_type"),
            _choices(StructureType.choices, blank=_("Not given")),
        ),
        _breakdown(
            scope,
            "region",
            _("By region"),
            _by("organisation__region"),
            _choices(Region.choices, blank=_("Not given")),
        ),
        _breakdown(
            scope, "origin", _("By origin"), _by("origin", Origin.values), _choices(Origin.choices)
        ),
        _breakdown(
            scope,
            "category",
            _("By type of incident"),
            _by("category", Category.values),
            _choices(Category.choices),
        ),
        _breakdown(
            scope,
            "operational_impact",
            _("Operational impact"),
            _operational_impact,
            {
                "none": _("No operational impact"),
                "degraded_mode": _("Degraded mode"),
                "care_is_interrupted": _("Patient-care information system interrupted"),
            },
        ),
        _data_impact(scope),
        _breakdown(
            scope,
            "endangerment",
            _("Patient endangerment"),
            _by("endangerment", Endangerment.values),
            _choices(Endangerment.choices),
        ),
        _breakdown(
            scope,
            "support_requested",
            _("Support requested from the centre"),
            _yes_no("support_requested"),
            yes_no,
        ),
        _breakdown(scope, "major", _("Major incident"), _yes_no("major"), yes_no),
    )
    own_incidents = scope.own.count() if scope.own is not None else None
    return Observatory(
        exact=scope.exact,
        year=year,
        incidents=_published_count(scope.others.count(), own_incidents),
        structures=_structures(scope),
        years=years,
        months=_months(scope, now, year),
        breakdowns=breakdowns,
        response=_response(scope),
        deadlines=_deadlines(scope, now),
        own_incidents=own_incidents,
    )

"""Trends of alerts over the last 90 days, for one establishment and for the sector.

No snapshot table: an alert's history is rebuilt from the alert and its timeline (AlertEvent):
it opens at `first_seen`; state changes, closures by the platform and reopenings open and close
it again; priority events change its priority. Each open period from an opening to a closure is
a *cycle*, with its own deadlines, as alerting.py sets them (a reopened alert starts afresh; a
raised priority brings a deadline forward, a lowered one does not push it back).

Three queries whatever the period or the number of establishments: the alerts, their events,
the policies. Everything else is arithmetic on those rows.

What the numbers mean:
* open alerts by priority: the alerts open at each point (every 7 days back from now), by the
  priority they had then;
* time to acknowledge: from a cycle's start to the first time a person took it out of `new`;
  time to resolve: from a cycle's start to its closure as resolved (by a person, by VEX, or
  because no asset is affected any more). Risks accepted, false positives and withdrawn CVEs
  are decisions, not remediation: they count in neither;
* SLAs met: for each deadline whose outcome fell in the period (met when the acknowledgement
  or the resolution came, missed when the deadline passed without it), the share met. An alert
  still open past its deadline counts as missed; one closed otherwise before its deadline does
  not count.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from vigie.core.charts import (
    TargetRow,
    against_target,
    line_chart,
    shares,
    shares_height,
    target_height,
)
from vigie.tenancy.access import OrgAccess, scoped, supported_establishments
from vigie.tenancy.models import Organisation
from vigie.vulns.alerting import ack_delay, remediation_delay
from vigie.vulns.models import OPEN_STATES, Alert, AlertEvent, AlertPolicy, AlertState, Priority

WINDOW_DAYS = 90
STEP_DAYS = 7
PRIORITIES = tuple(Priority.values)
ACK_PRIORITIES = ("act", "attend")  # the policy sets no acknowledgement deadline for Track
PRIORITY_KINDS = ("priority_raised", "priority_lowered")
_OPEN = frozenset(str(state) for state in OPEN_STATES)
_RANK = {"track": 0, "track*": 1, "attend": 2, "act": 3}


@dataclass(frozen=True, slots=True)
class DurationStats:
    """Times of one priority, against the policy's target (a range in the sector)."""

    priority: str
    count: int
    median: timedelta | None
    p90: timedelta | None
    target_min: timedelta | None
    target_max: timedelta | None
    within_target: int  # of `count`, those done within the target


@dataclass(frozen=True, slots=True)
class SlaShare:
    met: int
    total: int

    @property
    def percent(self) -> float | None:
        return round(100.0 * self.met / self.total, 1) if self.total else None


@dataclass(frozen=True, slots=True)
class Trends:
    start: datetime
    end: datetime
    samples: list[datetime]
    open_by_priority: dict[str, list[int]]
    acknowledge: list[DurationStats]
    resolve: list[DurationStats]
    ack_sla: SlaShare
    remediation_sla: SlaShare


def establishment_trends(access: OrgAccess, *, now: datetime | None = None) -> Trends:
    """The trends of the establishment `access` was granted for."""
    return _cached(f"org:{access.organisation.pk}", scoped(access, Alert.objects.all()), now)


def supported_establishment_trends(
    access: OrgAccess, establishment: Organisation, *, now: datetime | None = None
) -> Trends:
    """A centre's view of one establishment it supports (nothing for any other)."""
    alerts = Alert.objects.filter(
        organisation__in=supported_establishments(access).filter(pk=establishment.pk)
    )
    return _cached(f"org:{establishment.pk}:by:{access.organisation.pk}", alerts, now)


def sector_trends(access: OrgAccess, *, now: datetime | None = None) -> Trends:
    """A centre's view of all the establishments it supports, pooled."""
    alerts = Alert.objects.filter(organisation__in=supported_establishments(access))
    return _cached(f"sector:{access.organisation.pk}", alerts, now)


CACHE_SECONDS = 300


def _cached(scope: str, alerts: QuerySet[Alert], now: datetime | None) -> Trends:
    """The trends of `alerts`, computed once per change of them (and at most every 5 minutes).

    Rebuilding the history reads every alert of the period and its timeline (about 250 ms at
    5,000 alerts): too much for each dashboard view. The key holds a fingerprint of the alerts
    (count, last update, last timeline event), so a change shows on the next view; a policy
    change shows within CACHE_SECONDS. A given `now` (tests, reports) is never cached.
    """
    if now is not None:
        return _trends(alerts, now)
    summary = alerts.aggregate(count=Count("pk"), updated=Max("updated_at"))
    last_event = AlertEvent.objects.filter(alert__in=alerts.values("pk")).aggregate(last=Max("pk"))[
        "last"
    ]
    updated = summary["updated"].isoformat() if summary["updated"] else "-"
    key = f"vigie:trends:{scope}:{summary['count']}:{updated}:{last_event or 0}"
    found = cache.get(key)
    if isinstance(found, Trends):
        return found
    trends = _trends(alerts, None)
    cache.set(key, trends, CACHE_SECONDS)
    return trends


# --- rebuilding the history --------------------------------------------------------------------


@dataclass(slots=True)
class _Cycle:
    start: datetime
    priority: str
    ack_due: datetime | None
    remediation_due: datetime
    acknowledged: datetime | None = None
    ack_priority: str = ""
    ended: datetime | None = None
    end_state: str = ""
    end_priority: str = ""


@dataclass(slots=True)
class _History:
    segments: list[tuple[datetime, datetime | None, str]]  # open from, until, with priority
    cycles: list[_Cycle]


def _new_cycle(at: datetime, priority: str, policy: AlertPolicy) -> _Cycle:
    ack = ack_delay(policy, priority)
    remediation = remediation_delay(policy, priority)
    return _Cycle(
        start=at,
        priority=priority,
        ack_due=at + ack if ack is not None else None,
        remediation_due=at + remediation,
    )


def _initial_priority(current: str, events: Sequence[tuple[Any, ...]]) -> str:
    for _at, kind, _to, details in events:
        if kind == "created" and details.get("priority") in _RANK:
            return str(details["priority"])
        if kind in PRIORITY_KINDS and details.get("previous") in _RANK:
            return str(details["previous"])
    return current


def _history(
    alert: tuple[Any, ...], events: Sequence[tuple[Any, ...]], policy: AlertPolicy
) -> _History:
    _pk, _org, current_priority, first_seen, state, state_changed_at, acknowledged_at = alert
    priority = _initial_priority(current_priority, events)
    segments: list[tuple[datetime, datetime | None, str]] = []
    cycles = [_new_cycle(first_seen, priority, policy)]
    is_open, since = True, first_seen
    for at, kind, to_state, details in events:
        cycle = cycles[-1]
        if kind in PRIORITY_KINDS and details.get("priority") in _RANK:
            new = str(details["priority"])
            if is_open:
                segments.append((since, at, priority))
                since = at
                raised = _RANK[new] > _RANK[priority]
                if raised:
                    ack = ack_delay(policy, new)
                    if ack is not None and cycle.acknowledged is None:
                        cycle.ack_due = min(filter(None, [cycle.ack_due, at + ack]))
                    cycle.remediation_due = min(
                        cycle.remediation_due, at + remediation_delay(policy, new)
                    )
                cycle.priority = new
            priority = new
        elif not to_state:
            continue
        elif to_state in _OPEN:
            if not is_open:  # reopened
                is_open, since = True, at
                cycles.append(_new_cycle(at, priority, policy))
            elif kind == "state_changed" and to_state != AlertState.NEW:
                _acknowledge(cycle, at)
        elif is_open:  # closed
            if kind == "state_changed":  # a person's decision is an acknowledgement too
                _acknowledge(cycle, at)
            segments.append((since, at, priority))
            is_open = False
            cycle.ended, cycle.end_state, cycle.end_priority = at, to_state, priority
    # Rows written without a timeline (older data, imports) still say when they were handled.
    last = cycles[-1]
    if last.acknowledged is None and acknowledged_at is not None and acknowledged_at >= last.start:
        _acknowledge(last, acknowledged_at)
    if is_open and state not in _OPEN:
        segments.append((since, state_changed_at, priority))
        is_open = False
        last.ended, last.end_state, last.end_priority = state_changed_at, state, priority
    if is_open:
        segments.append((since, None, priority))
    return _History(segments=segments, cycles=cycles)


def _acknowledge(cycle: _Cycle, at: datetime) -> None:
    if cycle.acknowledged is None:
        cycle.acknowledged, cycle.ack_priority = at, cycle.priority


# --- the figures ---------------------------------------------------------------------------------


def _trends(alerts: QuerySet[Alert], now: datetime | None) -> Trends:
    now = now or timezone.now()
    start = now - timedelta(days=WINDOW_DAYS)
    # Alerts closed before the period and still closed took no part in it.
    relevant = alerts.filter(first_seen__lte=now).filter(
        Q(state__in=OPEN_STATES) | Q(state_changed_at__gte=start)
    )
    rows = list(
        relevant.values_list(
            "pk",
            "organisation_id",
            "priority",
            "first_seen",
            "state",
            "state_changed_at",
            "acknowledged_at",
        )
    )
    events: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for alert_id, *rest in (
        AlertEvent.objects.filter(alert__in=relevant.values("pk"), at__lte=now)
        .filter(~Q(to_state="") | Q(kind__in=(*PRIORITY_KINDS, "created")))
        .order_by("alert_id", "at", "pk")
        .values_list("alert_id", "at", "kind", "to_state", "details")
    ):
        events[alert_id].append(tuple(rest))
    organisations = {row[1] for row in rows}
    policies = {
        p.organisation_id: p for p in AlertPolicy.objects.filter(organisation_id__in=organisations)
    }
    histories = [
        _history(
            row,
            events.get(row[0], []),
            policies.get(row[1]) or AlertPolicy(organisation_id=row[1]),
        )
        for row in rows
    ]
    samples = [now - timedelta(days=STEP_DAYS * k) for k in range(WINDOW_DAYS // STEP_DAYS, -1, -1)]
    return Trends(
        start=start,
        end=now,
        samples=samples,
        open_by_priority=_open_series(histories, samples),
        acknowledge=_durations(
            histories,
            start,
            now,
            ACK_PRIORITIES,
            _ack_times,
            _policy_targets(policies, organisations, ack=True),
        ),
        resolve=_durations(
            histories,
            start,
            now,
            PRIORITIES,
            _resolve_times,
            _policy_targets(policies, organisations, ack=False),
        ),
        ack_sla=_sla(histories, start, now, ack=True),
        remediation_sla=_sla(histories, start, now, ack=False),
    )


def _open_series(histories: Iterable[_History], samples: list[datetime]) -> dict[str, list[int]]:
    series = {priority: [0] * len(samples) for priority in PRIORITIES}
    for history in histories:
        for since, until, priority in history.segments:
            counts = series.get(priority)
            if counts is None:
                continue
            for index, at in enumerate(samples):
                if since <= at and (until is None or at < until):
                    counts[index] += 1
    return series


_Times = dict[str, list[tuple[timedelta, timedelta | None]]]  # priority: (took, target)


def _ack_times(cycle: _Cycle, start: datetime, now: datetime) -> tuple[str, timedelta] | None:
    done = cycle.acknowledged
    if done is None or not start <= done <= now:
        return None
    return cycle.ack_priority, done - cycle.start


def _resolve_times(cycle: _Cycle, start: datetime, now: datetime) -> tuple[str, timedelta] | None:
    done = cycle.ended
    if done is None or cycle.end_state != AlertState.RESOLVED or not start <= done <= now:
        return None
    return cycle.end_priority, done - cycle.start


def _policy_targets(
    policies: dict[int, AlertPolicy], organisations: set[int], *, ack: bool
) -> dict[str, tuple[timedelta | None, timedelta | None]]:
    every = [policies.get(org) or AlertPolicy(organisation_id=org) for org in organisations]
    if not every:
        every = [AlertPolicy()]  # the defaults, for an establishment with no alert yet
    targets: dict[str, tuple[timedelta | None, timedelta | None]] = {}
    for priority in PRIORITIES:
        values = [
            ack_delay(policy, priority) if ack else remediation_delay(policy, priority)
            for policy in every
        ]
        known = [value for value in values if value is not None]
        targets[priority] = (min(known), max(known)) if known else (None, None)
    return targets


def _durations(
    histories: Iterable[_History],
    start: datetime,
    now: datetime,
    priorities: Sequence[str],
    measure: Any,
    targets: dict[str, tuple[timedelta | None, timedelta | None]],
) -> list[DurationStats]:
    took: dict[str, list[tuple[timedelta, bool]]] = defaultdict(list)
    for history in histories:
        for cycle in history.cycles:
            measured = measure(cycle, start, now)
            if measured is None:
                continue
            priority, duration = measured
            due = cycle.ack_due if measure is _ack_times else cycle.remediation_due
            within = due is not None and cycle.start + duration <= due
            took[priority].append((duration, within))
    result = []
    for priority in priorities:
        values = sorted(duration for duration, _within in took[priority])
        result.append(
            DurationStats(
                priority=priority,
                count=len(values),
                median=_median(values),
                p90=_percentile(values, 0.9),
                target_min=targets[priority][0],
                target_max=targets[priority][1],
                within_target=sum(1 for _duration, within in took[priority] if within),
            )
        )
    return result


def _median(values: Sequence[timedelta]) -> timedelta | None:
    if not values:
        return None
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return (values[middle - 1] + values[middle]) / 2


def _percentile(values: Sequence[timedelta], share: float) -> timedelta | None:
    """Nearest-rank percentile: a time one of the alerts really took."""
    if not values:
        return None
    return values[max(0, math.ceil(share * len(values)) - 1)]


def _sla(histories: Iterable[_History], start: datetime, now: datetime, *, ack: bool) -> SlaShare:
    met = total = 0
    for history in histories:
        for cycle in history.cycles:
            due = cycle.ack_due if ack else cycle.remediation_due
            if due is None:
                continue
            if ack:
                done = cycle.acknowledged
            else:
                done = cycle.ended if cycle.end_state == AlertState.RESOLVED else None
            if done is not None and done <= due:
                outcome, success = done, True
            elif due <= now and (done is not None or cycle.ended is None or cycle.ended > due):
                outcome, success = due, False  # the deadline passed while it was still owed
            else:
                continue  # not due yet, or closed otherwise before its deadline
            if start <= outcome <= now:
                total += 1
                met += success
    return SlaShare(met=met, total=total)


# --- for the pages -------------------------------------------------------------------------------


def duration_text(value: timedelta | None) -> str:
    """A duration in the unit that reads best, with the locale's decimal separator."""
    if value is None:
        return "—"
    hours = value.total_seconds() / 3600
    if hours < 1:
        return _("%(value)s min") % {"value": floatformat(hours * 60, 0)}
    if hours < 48:
        return _("%(value)s h") % {"value": floatformat(hours, -1)}
    return pgettext("duration in days", "%(value)s d") % {"value": floatformat(hours / 24, -1)}


def _target_text(stats: DurationStats) -> str:
    if stats.target_min is None or stats.target_max is None:
        return "—"
    if stats.target_min == stats.target_max:
        return duration_text(stats.target_min)
    return _("%(low)s to %(high)s") % {
        "low": duration_text(stats.target_min),
        "high": duration_text(stats.target_max),
    }


def _target_rows(stats: list[DurationStats]) -> list[TargetRow]:
    labels = dict(Priority.choices)

    def hours(value: timedelta | None) -> float | None:
        return value.total_seconds() / 3600 if value is not None else None

    return against_target(
        (
            str(labels[s.priority]),
            hours(s.median),
            hours(s.p90),
            hours(s.target_max),
            _("median %(median)s · 90%% within %(p90)s · target %(target)s · %(count)s")
            % {
                "median": duration_text(s.median),
                "p90": duration_text(s.p90),
                "target": _target_text(s),
                "count": ngettext("%(n)s alert", "%(n)s alerts", s.count) % {"n": s.count},
            },
            s.priority.replace("*", "-star"),
        )
        for s in stats
    )


def _table(stats: list[DurationStats]) -> list[dict[str, str]]:
    labels = dict(Priority.choices)
    return [
        {
            "label": str(labels[s.priority]),
            "count": str(s.count),
            "median": duration_text(s.median),
            "p90": duration_text(s.p90),
            "target": _target_text(s),
            "within": f"{s.within_target} / {s.count}",
        }
        for s in stats
    ]


def present(trends: Trends) -> dict[str, Any]:
    """What templates/vulns/_trends.html shows: charts built, dates in the user's time zone."""
    labels = dict(Priority.choices)
    dates = [date_format(timezone.localtime(at), "MONTH_DAY_FORMAT") for at in trends.samples]
    open_chart = line_chart(
        dates,
        [(str(labels[p]), trends.open_by_priority[p], p.replace("*", "-star")) for p in PRIORITIES],
    )
    ack_rows = _target_rows(trends.acknowledge)
    resolve_rows = _target_rows(trends.resolve)
    sla_rows = shares(
        [
            (_("Acknowledged in time"), trends.ack_sla.met, trends.ack_sla.total),
            (_("Resolved in time"), trends.remediation_sla.met, trends.remediation_sla.total),
        ]
    )
    return {
        "start": trends.start,
        "end": trends.end,
        "open_chart": open_chart,
        "ack_rows": ack_rows,
        "ack_height": target_height(ack_rows),
        "resolve_rows": resolve_rows,
        "resolve_height": target_height(resolve_rows),
        "sla_rows": sla_rows,
        "sla_height": shares_height(sla_rows),
        "ack_table": _table(trends.acknowledge),
        "resolve_table": _table(trends.resolve),
    }

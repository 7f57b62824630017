"""The exposure pillar: the establishment's open Act and Attend alerts, as they stood at `now`.

An alert's past is rebuilt from its row and its timeline (AlertEvent), as the vulnerability
trends do: it opens at `first_seen`; state changes close and reopen it; priority events change
its priority. An alert is overdue when its response deadline under the establishment's policy
(from the start of its current open period, at the priority it had then) had passed at `now`:
remediation for both priorities, or acknowledgement when nobody had taken it up yet.

Points (taken off 100): an Act alert 15, overdue 25; an Attend alert 4, overdue 8; each kind
capped so that a flood of Attend alerts cannot hide what the Act ones say. With no asset in the
inventory nothing can match: the pillar scores 0 rather than read as "no alert".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from vigie.engines.readiness import Reason
from vigie.inventory.models import Asset
from vigie.readiness.days import local_date
from vigie.readiness.pillars import PillarSpec, register_pillar
from vigie.tenancy.models import Organisation
from vigie.vulns.alerting import ack_delay, remediation_delay
from vigie.vulns.models import OPEN_STATES, Alert, AlertEvent, AlertPolicy, AlertState, Priority

_OPEN = frozenset(str(state) for state in OPEN_STATES)
_PRIORITY_KINDS = ("priority_raised", "priority_lowered")
_KNOWN = frozenset(str(p) for p in Priority.values)
_RANK = {"track": 0, "track*": 1, "attend": 2, "act": 3}

# (points per alert, cap) by (priority, overdue)
POINTS: dict[tuple[str, bool], tuple[int, int]] = {
    (Priority.ACT, True): (25, 75),
    (Priority.ACT, False): (15, 60),
    (Priority.ATTEND, True): (8, 40),
    (Priority.ATTEND, False): (4, 20),
}
CODES: dict[tuple[str, bool], str] = {
    (Priority.ACT, True): "exposure.act_overdue",
    (Priority.ACT, False): "exposure.act_open",
    (Priority.ATTEND, True): "exposure.attend_overdue",
    (Priority.ATTEND, False): "exposure.attend_open",
}

REASON_TEXTS: dict[str, Promise] = {
    "exposure.no_inventory": _(
        "No asset in the inventory: no alert can be raised, so the exposure is unknown."
    ),
    "exposure.act_overdue": _(
        "Act alerts past their response deadline: %(count)s (the oldest since %(since)s)."
    ),
    "exposure.act_open": _("Act alerts open, within their deadline: %(count)s."),
    "exposure.attend_overdue": _(
        "Attend alerts past their response deadline: %(count)s (the oldest since %(since)s)."
    ),
    "exposure.attend_open": _("Attend alerts open, within their deadline: %(count)s."),
    "exposure.none_open": _("No Act or Attend alert open."),
}


@dataclass(frozen=True, slots=True)
class OpenAlert:
    alert_id: int
    priority: str
    overdue_since: datetime | None


def _initial_priority(current: str, events: list[tuple[Any, ...]]) -> str:
    for _at, kind, _to, details in events:
        if kind == "created" and details.get("priority") in _KNOWN:
            return str(details["priority"])
        if kind in _PRIORITY_KINDS and details.get("previous") in _KNOWN:
            return str(details["previous"])
    return current


def _as_of(
    alert: Alert, events: list[tuple[Any, ...]], policy: AlertPolicy, now: datetime
) -> OpenAlert | None:
    """The alert as it stood at `now` (events up to `now` only), or None if it was closed.

    Deadlines as the alerting sets them: from the start of the open period; a raised priority
    brings them forward (from the raise), a lowered one does not push them back."""
    priority = _initial_priority(alert.priority, events)
    is_open, since, acknowledged = True, alert.first_seen, None
    ack = ack_delay(policy, priority)
    ack_due = alert.first_seen + ack if ack is not None else None
    remediation_due = alert.first_seen + remediation_delay(policy, priority)
    for at, kind, to_state, details in events:
        if kind in _PRIORITY_KINDS and details.get("priority") in _KNOWN:
            new = str(details["priority"])
            if is_open and _RANK[new] > _RANK[priority]:
                raised_ack = ack_delay(policy, new)
                if raised_ack is not None and acknowledged is None:
                    ack_due = min(filter(None, [ack_due, at + raised_ack]))
                remediation_due = min(remediation_due, at + remediation_delay(policy, new))
            priority = new
        elif not to_state:
            continue
        elif to_state in _OPEN:
            if not is_open:  # reopened: a new period, new deadlines
                is_open, since, acknowledged = True, at, None
                ack = ack_delay(policy, priority)
                ack_due = at + ack if ack is not None else None
                remediation_due = at + remediation_delay(policy, priority)
            elif kind == "state_changed" and to_state != AlertState.NEW and acknowledged is None:
                acknowledged = at
        else:
            is_open = False
    if is_open and alert.state not in _OPEN and alert.state_changed_at <= now:
        is_open = False  # closed without a timeline entry (older data, imports)
    if not is_open:
        return None
    taken_up = alert.acknowledged_at  # rows written without a timeline still say it
    if acknowledged is None and taken_up is not None and since <= taken_up <= now:
        acknowledged = taken_up
    dues = [remediation_due]
    if ack_due is not None and acknowledged is None:
        dues.append(ack_due)
    missed = [due for due in dues if due <= now]
    return OpenAlert(alert.pk, priority, min(missed) if missed else None)


def open_alerts(organisation: Organisation, now: datetime) -> list[OpenAlert]:
    """The alerts of `organisation` open at `now`, with their priority then."""
    alerts = list(
        Alert.objects.filter(organisation=organisation, first_seen__lte=now).filter(
            Q(state__in=OPEN_STATES) | Q(state_changed_at__gt=now)
        )
    )
    events: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for alert_id, *rest in (
        AlertEvent.objects.filter(alert__in=[a.pk for a in alerts], at__lte=now)
        .filter(~Q(to_state="") | Q(kind__in=(*_PRIORITY_KINDS, "created")))
        .order_by("alert_id", "at", "pk")
        .values_list("alert_id", "at", "kind", "to_state", "details")
    ):
        events[alert_id].append(tuple(rest))
    policy = AlertPolicy.objects.filter(organisation=organisation).first() or AlertPolicy(
        organisation=organisation
    )
    result = []
    for alert in alerts:
        found = _as_of(alert, events.get(alert.pk, []), policy, now)
        if found is not None:
            result.append(found)
    return result


def exposure_reasons(organisation: Organisation, now: datetime) -> list[Reason]:
    if not Asset.objects.filter(organisation=organisation, created_at__lte=now).exists():
        return [Reason("exposure.no_inventory", {}, 100)]
    groups: dict[tuple[str, bool], list[OpenAlert]] = defaultdict(list)
    for alert in open_alerts(organisation, now):
        if alert.priority in (Priority.ACT, Priority.ATTEND):
            groups[(alert.priority, alert.overdue_since is not None)].append(alert)
    reasons = []
    for key, code in CODES.items():
        found = groups.get(key)
        if not found:
            continue
        each, cap = POINTS[key]
        params: dict[str, Any] = {"count": len(found)}
        if key[1]:
            oldest = min(a.overdue_since for a in found if a.overdue_since is not None)
            params["since"] = local_date(oldest)
        reasons.append(Reason(code, params, min(cap, each * len(found))))
    if not reasons:
        reasons.append(Reason("exposure.none_open", {}, 0))
    return reasons


register_pillar(
    PillarSpec(
        code="exposure",
        label=_("Exposure"),
        order=10,
        provider=exposure_reasons,
        reason_texts=REASON_TEXTS,
        url_name="vulns:alerts",
    )
)

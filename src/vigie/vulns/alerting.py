"""Alert actions: raising and updating alerts from matches, people's decisions, escalation.

Every function that changes an alert writes its timeline event, and the notifications it
causes are written to the outbox (vigie.notify) in the same transaction: if the transaction
rolls back, nobody is told; if it commits, a worker delivers, even after a crash.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from vigie.audit.log import record as audit
from vigie.core.bulk import update_rows
from vigie.engines.matching import Outcome, group_per_pair, per_pair, suppressed_pairs
from vigie.engines.prioritise.ssvc import Decision, priority_rank
from vigie.inventory.models import Asset
from vigie.notify import digest as notify_digest
from vigie.notify import filters as channel_filters
from vigie.notify import outbox
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import Membership, Organisation
from vigie.tenancy.roles import Cap, Role
from vigie.vulns.corroboration import set_matches, unevaluated_matches
from vigie.vulns.models import (
    OPEN_STATES,
    Alert,
    AlertAsset,
    AlertEvent,
    AlertPolicy,
    AlertState,
    EventKind,
    Vulnerability,
    affected_assets_count,
)

logger = logging.getLogger(__name__)

# Decisions a person takes; the platform itself only opens, updates, resolves and withdraws.
HUMAN_TRANSITIONS: dict[str, tuple[str, ...]] = {
    AlertState.NEW: (
        AlertState.ACKNOWLEDGED,
        AlertState.IN_REMEDIATION,
        AlertState.RESOLVED,
        AlertState.ACCEPTED_RISK,
        AlertState.FALSE_POSITIVE,
    ),
    AlertState.ACKNOWLEDGED: (
        AlertState.IN_REMEDIATION,
        AlertState.RESOLVED,
        AlertState.ACCEPTED_RISK,
        AlertState.FALSE_POSITIVE,
    ),
    AlertState.IN_REMEDIATION: (
        AlertState.RESOLVED,
        AlertState.ACCEPTED_RISK,
        AlertState.FALSE_POSITIVE,
    ),
    AlertState.RESOLVED: (AlertState.NEW,),
    AlertState.ACCEPTED_RISK: (AlertState.NEW,),
    AlertState.FALSE_POSITIVE: (AlertState.NEW,),
}
NEEDS_JUSTIFICATION = (AlertState.ACCEPTED_RISK, AlertState.FALSE_POSITIVE)
IMMEDIATE = ("act", "attend")  # notified at once; the others go in the daily digest


class Change(enum.Enum):
    NONE = "none"
    CREATED = "created"
    UPDATED = "updated"
    CLOSED = "closed"


def policy_for(organisation_id: int) -> AlertPolicy:
    policy = AlertPolicy.objects.filter(organisation_id=organisation_id).first()
    return policy if policy is not None else AlertPolicy(organisation_id=organisation_id)


def ack_delay(policy: AlertPolicy, priority: str) -> timedelta | None:
    if priority == "act":
        return timedelta(hours=policy.ack_hours_act)
    if priority == "attend":
        return timedelta(hours=policy.ack_hours_attend)
    return None


def remediation_delay(policy: AlertPolicy, priority: str) -> timedelta:
    days = {
        "act": policy.remediate_days_act,
        "attend": policy.remediate_days_attend,
        "track*": policy.remediate_days_track_star,
        "track": policy.remediate_days_track,
    }[priority]
    return timedelta(days=days)


def _decision_json(decision: Decision, *, with_text: bool = True) -> dict[str, Any]:
    """The decision as stored. Pages translate it from `reasons` (vulns/ssvc_text.py); the English
    text is kept once per alert for readers of the raw data, not on each of its asset rows."""
    stored = {
        "priority": decision.priority,
        "tree_priority": decision.tree_priority,
        "exploitation": decision.exploitation,
        "automatable": decision.automatable,
        "technical_impact": decision.technical_impact,
        "mission_wellbeing": decision.mission_wellbeing,
        "ransomware": decision.ransomware,
        "reasons": [[code, params] for code, params in decision.reasons],
    }
    if with_text:
        stored["explanation"] = decision.explanation
    return stored


def _event(
    alert: Alert, kind: EventKind, *, actor: Any = None, message: str = "", **details: Any
) -> None:
    AlertEvent.objects.create(
        alert=alert,
        at=timezone.now(),
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        kind=kind,
        from_state=details.pop("from_state", ""),
        to_state=details.pop("to_state", ""),
        message=message,
        details=details,
    )


def apply(
    *,
    organisation_id: int,
    vulnerability: Vulnerability,
    outcome: Outcome,
    assets: dict[str, Asset],
    sources: set[str],
) -> Change:
    """Bring one establishment's alert for one vulnerability in line with the latest matches.

    Called inside a transaction. One row per asset (engines.matching.per_pair, as
    `vigie vulns match`): the best feed's match, the other feeds as corroboration. `sources`
    are the feeds that were evaluated: what other feeds said of an asset is kept as it was, and
    still keeps the asset affected when no evaluated feed matches it any more.
    """
    now = timezone.now()
    alert = (
        Alert.objects.select_for_update()
        .filter(organisation_id=organisation_id, vulnerability=vulnerability)
        .first()
    )
    if not outcome.kept and alert is None:
        return Change.NONE
    created = False
    if alert is None:
        alert = Alert(
            organisation_id=organisation_id,
            vulnerability=vulnerability,
            state=AlertState.NEW,
            priority="track",
            first_seen=now,
            state_changed_at=now,
        )
        created = True
    rows = {} if created else {r.asset_id: r for r in alert.affected.all()}
    was_active = {asset_id for asset_id, row in rows.items() if row.active}
    seen: set[int] = set()
    new_assets: list[Asset] = []
    worst: Decision | None = None
    for pair in per_pair(outcome):
        decision = pair.decision
        asset = assets[pair.best.asset]
        seen.add(asset.pk)
        if worst is None or priority_rank(decision.priority) > priority_rank(worst.priority):
            worst = decision
        row = rows.get(asset.pk)
        if row is None:
            row = rows[asset.pk] = AlertAsset(alert=alert, asset=asset, first_seen=now)
        if asset.pk not in was_active:
            new_assets.append(asset)
        # Feeds not evaluated this time still compete with what they said last time.
        unevaluated = (
            unevaluated_matches(row, pair.best.asset, pair.best.vulnerability, sources)
            if row.pk is not None
            else []
        )
        set_matches(row, group_per_pair([pair.best, *pair.others, *unevaluated])[0])
        row.priority = decision.priority
        row.decision = _decision_json(decision, with_text=False)
        row.active = True
        row.suppressed_by = ""
        row.last_seen = now
    closed = {
        assets[asset_key].pk: suppression.explanation
        for (asset_key, _vuln), suppression in suppressed_pairs(outcome).items()
    }
    for asset_id, row in rows.items():
        if asset_id in seen:
            continue
        if not row.active:
            if row.source in sources:
                row.suppressed_by = closed.get(asset_id, "")
            continue
        # A VEX statement is about the asset, whichever feed matched it: it closes the row.
        remaining = (
            []
            if asset_id in closed
            else unevaluated_matches(row, str(asset_id), vulnerability.vuln_id, sources)
        )
        if remaining:
            set_matches(row, group_per_pair(remaining)[0])
            continue
        row.active = False
        row.suppressed_by = closed.get(asset_id, "")
    if worst is None and created:
        return Change.NONE  # everything was closed by VEX before any alert existed

    previous_priority = alert.priority
    policy = policy_for(organisation_id)
    if worst is not None:
        alert.priority = worst.priority
        alert.decision = _decision_json(worst)
    change = Change.CREATED if created else Change.NONE
    if created:
        alert.ack_due_at = _due(now, ack_delay(policy, alert.priority))
        alert.remediation_due_at = now + remediation_delay(policy, alert.priority)
    alert.save()
    for row in rows.values():
        row.alert = alert
    # Split before inserting: bulk_create gives the new rows their keys.
    new_rows = [r for r in rows.values() if r.pk is None]
    known_rows = [r for r in rows.values() if r.pk is not None]
    AlertAsset.objects.bulk_create(new_rows)
    update_rows(
        AlertAsset,
        known_rows,
        [
            "source",
            "confidence",
            "reason",
            "reason_parts",
            "criterion",
            "version_range",
            "corroboration",
            "priority",
            "decision",
            "active",
            "suppressed_by",
            "last_seen",
        ],
    )
    active = [r for r in rows.values() if r.active]
    if created:
        _event(
            alert,
            EventKind.CREATED,
            assets_count=len(active),
            priority=alert.priority,
        )
        _notify(alert, "alert.new", new_assets)
        return change
    if not active:
        if alert.is_open:
            reason = "vex" if closed else "no_longer_affected"
            _close(alert, AlertState.RESOLVED, reason, now)
            _event(
                alert,
                EventKind.CLOSED_BY_VEX if closed else EventKind.NO_LONGER_AFFECTED,
                from_state=AlertState.NEW,
                to_state=AlertState.RESOLVED,
                suppressed=list(closed.values())[:10],
            )
            return Change.CLOSED
        alert.save()
        return Change.NONE
    if not alert.is_open:
        # Closed by the platform (no longer affected, withdrawn) or by a person: it reopens
        # when an asset is affected that was not when it was closed.
        if new_assets or alert.closed_reason in ("no_longer_affected", "vex", "rejected"):
            from_state = alert.state
            alert.state = AlertState.NEW
            alert.state_changed_at = now
            alert.closed_reason = ""
            alert.acknowledged_at = None
            alert.acknowledged_by = None
            alert.escalation_level = 0
            alert.escalated_at = None
            alert.ack_due_at = _due(now, ack_delay(policy, alert.priority))
            alert.remediation_due_at = now + remediation_delay(policy, alert.priority)
            alert.save()
            _event(
                alert,
                EventKind.REOPENED,
                from_state=from_state,
                to_state=AlertState.NEW,
                assets=[a.name for a in new_assets][:20],
            )
            _notify(alert, "alert.reopened", new_assets)
            return Change.UPDATED
        return Change.NONE
    if new_assets:
        _event(alert, EventKind.ASSETS_ADDED, assets=[a.name for a in new_assets][:20])
        change = Change.UPDATED
    if priority_rank(alert.priority) != priority_rank(previous_priority):
        raised = priority_rank(alert.priority) > priority_rank(previous_priority)
        _event(
            alert,
            EventKind.PRIORITY_RAISED if raised else EventKind.PRIORITY_LOWERED,
            previous=previous_priority,
            priority=alert.priority,
        )
        if raised:
            due = _due(now, ack_delay(policy, alert.priority))
            if alert.acknowledged_at is None and due is not None:
                alert.ack_due_at = min(filter(None, [alert.ack_due_at, due]))
            alert.remediation_due_at = min(
                filter(
                    None,
                    [alert.remediation_due_at, now + remediation_delay(policy, alert.priority)],
                )
            )
            alert.save()
            _notify(alert, "alert.priority_raised", [])
        change = Change.UPDATED
    elif new_assets and alert.priority in IMMEDIATE:
        _notify(alert, "alert.assets_added", new_assets)
    return change


def _due(now: datetime, delay: timedelta | None) -> datetime | None:
    return now + delay if delay is not None else None


def _close(alert: Alert, state: str, reason: str, now: datetime) -> None:
    alert.state = state
    alert.state_changed_at = now
    alert.closed_reason = reason
    alert.save()


def withdraw(vulnerability: Vulnerability) -> list[Change]:
    """A rejected CVE: its open alerts are withdrawn everywhere."""
    changes = []
    now = timezone.now()
    with transaction.atomic():
        for alert in Alert.objects.select_for_update().filter(
            vulnerability=vulnerability, state__in=OPEN_STATES
        ):
            from_state = alert.state
            _close(alert, AlertState.WITHDRAWN, "rejected", now)
            AlertAsset.objects.filter(alert=alert).update(active=False)
            _event(
                alert,
                EventKind.WITHDRAWN,
                from_state=from_state,
                to_state=AlertState.WITHDRAWN,
            )
            _notify(alert, "alert.withdrawn", [])
            changes.append(Change.CLOSED)
    return changes


# --- people's decisions ------------------------------------------------------------------------


def transition(
    *,
    access: OrgAccess,
    alert: Alert,
    to_state: str,
    justification: str = "",
    request: HttpRequest | None = None,
) -> Alert:
    access.require(Cap.HANDLE_ALERTS)
    if alert.organisation_id != access.organisation.pk:
        raise PermissionDenied("alert")
    justification = justification.strip()
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        if to_state not in HUMAN_TRANSITIONS.get(locked.state, ()):
            raise ValidationError(
                _("An alert in state “%(state)s” cannot become “%(target)s”.")
                % {
                    "state": AlertState(locked.state).label,
                    "target": AlertState(to_state).label
                    if to_state in AlertState.values
                    else to_state,
                }
            )
        if to_state in NEEDS_JUSTIFICATION and len(justification) < 10:
            raise ValidationError(
                {"justification": _("Explain this decision (at least 10 characters).")}
            )
        now = timezone.now()
        from_state = locked.state
        locked.state = to_state
        locked.state_changed_at = now
        if to_state in NEEDS_JUSTIFICATION or justification:
            locked.justification = justification
        if to_state != AlertState.NEW and locked.acknowledged_at is None:
            locked.acknowledged_at = now
            locked.acknowledged_by = access.user
        if to_state == AlertState.NEW:
            locked.acknowledged_at = None
            locked.acknowledged_by = None
            locked.closed_reason = ""
        elif to_state not in OPEN_STATES:
            locked.closed_reason = "decision"
        locked.save()
        _event(
            locked,
            EventKind.STATE_CHANGED,
            actor=access.user,
            from_state=from_state,
            to_state=to_state,
            message=justification,
        )
        audit(
            "alert.state_changed",
            actor=access.user,
            organisation=access.organisation,
            target=locked,
            target_label=locked.vulnerability.vuln_id,
            request=request,
            details={"from": from_state, "to": to_state, "justification": justification[:500]},
        )
    return locked


def comment(*, access: OrgAccess, alert: Alert, text: str) -> None:
    access.require(Cap.HANDLE_ALERTS)
    if alert.organisation_id != access.organisation.pk:
        raise PermissionDenied("alert")
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write something.")})
    _event(alert, EventKind.COMMENT, actor=access.user, message=text[:5000])


# --- notifications -----------------------------------------------------------------------------


def _payload(alert: Alert, assets: Iterable[Asset]) -> dict[str, Any]:
    vuln = alert.vulnerability
    return {
        "alert": alert.pk,
        "organisation": alert.organisation.slug,
        "vulnerability": vuln.vuln_id,
        "title": vuln.title,
        "priority": alert.priority,
        "state": alert.state,
        "cvss": vuln.cvss_score,
        "explanation": alert.decision.get("explanation", []),
        # The codes behind the explanation: e-mails render them in the reader's language.
        "reasons": alert.decision.get("reasons", []),
        "affected_assets": affected_count(alert),
        "assets": [
            {
                "id": a.external_id,
                "name": a.name,
                "kind": a.kind,
                "location": a.location,
                "criticality": a.criticality,
            }
            for a in list(assets)[:50]
        ],
        "ack_due_at": alert.ack_due_at.isoformat() if alert.ack_due_at else None,
        "remediation_due_at": (
            alert.remediation_due_at.isoformat() if alert.remediation_due_at else None
        ),
        "url": f"{settings.VIGIE_BASE_URL}/o/{alert.organisation.slug}/alerts/{alert.pk}/",
    }


def affected_count(alert: Alert) -> int:
    """How many distinct assets the alert affects now (one row per asset; distinct all the same,
    so that the count never depends on how rows are stored)."""
    return AlertAsset.objects.filter(alert=alert, active=True).values("asset_id").distinct().count()


def _notify(alert: Alert, event: str, assets: Iterable[Asset]) -> None:
    """Immediate notice for Act and Attend alerts; the others wait for the daily digest."""
    if event == "alert.new" and alert.priority not in IMMEDIATE:
        return
    # All the active assets, not the first 50: a channel's filters may keep only the last one.
    assets = list(assets) or [
        row.asset for row in alert.affected.filter(active=True).select_related("asset")
    ]

    def build(kept: list[Asset]) -> tuple[dict[str, Any], dict[str, Any]]:
        payload = _payload(alert, kept)
        return payload, {"payload": payload, "event": event}

    payload, context = build(assets)
    outbox.enqueue_for_channels(
        organisation=alert.organisation,
        event=event,
        payload=payload,
        email_template="notify/mail/alert",
        email_context=context,
        idempotency_key=f"{event}:{alert.pk}:{alert.priority}:{alert.state_changed_at.timestamp():.0f}:{len(assets)}",
        related=f"vulns.alert:{alert.pk}",
        tailor=channel_filters.alert_tailor(priority=alert.priority, assets=assets, build=build),
    )


def _escalation_recipients(alert: Alert, level: int) -> list[Any]:
    policy = policy_for(alert.organisation_id)
    if level == 1:
        deputies = list(policy.deputies.filter(is_active=True)) if policy.pk else []
        if deputies:
            return deputies
        roles = (Role.ADMIN, Role.DIRECTOR, Role.SECURITY_OFFICER)
        return [
            m.user
            for m in Membership.objects.filter(
                organisation_id=alert.organisation_id, role__in=roles, user__is_active=True
            ).select_related("user")
        ]
    centre_id = alert.organisation.centre_id
    if centre_id is None:
        return []
    return [
        m.user
        for m in Membership.objects.filter(
            organisation_id=centre_id, role__in=(Role.ADMIN, Role.ANALYST), user__is_active=True
        ).select_related("user")
    ]


def escalate_overdue(now: datetime | None = None) -> int:
    """Act alerts nobody acknowledged in time: first the deputies, then the support centre."""
    now = now or timezone.now()
    escalated = 0
    due = Alert.objects.filter(
        state=AlertState.NEW, priority="act", ack_due_at__lte=now, escalation_level__lt=2
    ).select_related("organisation", "vulnerability")
    for candidate in due:
        with transaction.atomic():
            alert = (
                Alert.objects.select_for_update()
                .select_related("organisation", "vulnerability")
                .get(pk=candidate.pk)
            )
            if alert.state != AlertState.NEW or alert.ack_due_at is None:
                continue
            policy = policy_for(alert.organisation_id)
            delay = ack_delay(policy, "act") or timedelta(hours=4)
            # Level 1 at the deadline; level 2 when a second period passes without acknowledgement.
            if alert.escalation_level == 0:
                level = 1
            elif alert.escalation_level == 1 and now >= alert.ack_due_at + delay:
                if not policy.escalate_to_centre or alert.organisation.centre_id is None:
                    continue
                level = 2
            else:
                continue
            recipients = _escalation_recipients(alert, level)
            alert.escalation_level = level
            alert.escalated_at = now
            alert.save(update_fields=["escalation_level", "escalated_at", "updated_at"])
            _event(
                alert,
                EventKind.ESCALATED,
                level=level,
                recipients=[u.get_username() for u in recipients][:20],
            )
            payload = _payload(alert, [])
            payload["escalation_level"] = level
            target_org: Organisation = (
                alert.organisation.centre
                if level == 2 and alert.organisation.centre
                else alert.organisation
            )
            for user in recipients:
                if not user.email:
                    continue
                outbox.enqueue_email(
                    organisation=target_org,
                    to=user.email,
                    language=user.language,
                    time_zone=getattr(user, "time_zone", ""),
                    template="notify/mail/escalation",
                    context={"payload": payload, "level": level},
                    event="alert.escalated",
                    idempotency_key=f"escalation:{alert.pk}:{level}:{user.pk}",
                    related=f"vulns.alert:{alert.pk}",
                )
            escalated += 1
    return escalated


def send_daily_digests(now: datetime | None = None) -> int:
    """Each establishment's open Act and Attend alerts and its new alerts of the last day, grouped
    by priority for each channel, with only what the channel's filters let through."""
    now = now or timezone.now()
    since = now - timedelta(days=1)
    sent = 0
    organisations = Organisation.objects.filter(
        Q(alerts__first_seen__gte=since) | Q(alerts__state__in=OPEN_STATES), is_active=True
    ).distinct()
    for organisation in organisations:
        alerts = Alert.objects.filter(organisation=organisation).select_related("vulnerability")
        listed = list(
            alerts.filter(state__in=OPEN_STATES)
            .filter(Q(first_seen__gte=since) | Q(priority__in=IMMEDIATE))
            .annotate(assets_count=affected_assets_count())
            .order_by("remediation_due_at", "-first_seen", "pk")
        )
        assets_of: dict[int, list[dict[str, str]]] = {}
        for row in (
            AlertAsset.objects.filter(alert_id__in=[a.pk for a in listed], active=True)
            .select_related("asset")
            .order_by("asset__name", "asset_id")
        ):
            assets_of.setdefault(row.alert_id, []).append(
                {
                    "name": row.asset.name,
                    "location": row.asset.location,
                    "kind": row.asset.kind,
                    "criticality": row.asset.criticality,
                }
            )
        base_url = f"{settings.VIGIE_BASE_URL}/o/{organisation.slug}/alerts/"
        items = [
            {
                "alert": a.pk,
                "vulnerability": a.vulnerability.vuln_id,
                "title": a.vulnerability.title,
                "priority": a.priority,
                "state": a.state,
                "new": a.first_seen >= since,
                "ack_due_at": a.ack_due_at.isoformat() if a.ack_due_at else None,
                "remediation_due_at": (
                    a.remediation_due_at.isoformat() if a.remediation_due_at else None
                ),
                "overdue": a.remediation_due_at is not None and a.remediation_due_at < now,
                "url": f"{base_url}{a.pk}/",
                "assets_count": a.assets_count,
                "assets": assets_of.get(a.pk, []),
            }
            for a in listed
        ]
        if not items:
            continue
        base = {
            "organisation": organisation.slug,
            "organisation_name": organisation.name,
            "date": now.date().isoformat(),
            "at": now.isoformat(),
            "open": {
                priority: alerts.filter(state__in=OPEN_STATES, priority=priority).count()
                for priority in ("act", "attend", "track*", "track")
            },
            "overdue": alerts.filter(state__in=OPEN_STATES, remediation_due_at__lt=now).count(),
            "url": base_url,
        }
        with transaction.atomic():
            outbox.enqueue_for_channels(
                organisation=organisation,
                event="digest.daily",
                payload=dict(base),
                email_template="notify/mail/digest",
                email_context={"payload": dict(base)},
                idempotency_key=f"digest:{organisation.pk}:{now.date().isoformat()}",
                tailor=notify_digest.tailor(base, items),
            )
        sent += 1
    return sent

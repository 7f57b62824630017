"""Alerts with affected assets, written as the matching writes them (for the exposure tests)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from vigie.inventory.models import Asset
from vigie.tenancy.models import Organisation
from vigie.vulns import alerting
from vigie.vulns.models import Alert, AlertAsset, AlertEvent, Vulnerability


def asset(org: Organisation, name: str, **fields: Any) -> Asset:
    return Asset.objects.create(organisation=org, external_id=name, name=name, **fields)


def alert_on(
    org: Organisation,
    cve: str,
    priority: str,
    assets: list[Asset],
    *,
    age: dt.timedelta = dt.timedelta(hours=1),
) -> Alert:
    at = timezone.now() - age
    vuln, _ = Vulnerability.objects.get_or_create(vuln_id=cve, defaults={"title": f"{cve} title"})
    policy = alerting.policy_for(org.pk)
    ack = alerting.ack_delay(policy, priority)
    alert = Alert.objects.create(
        organisation=org,
        vulnerability=vuln,
        priority=priority,
        first_seen=at,
        state_changed_at=at,
        ack_due_at=at + ack if ack else None,
        remediation_due_at=at + alerting.remediation_delay(policy, priority),
    )
    AlertAsset.objects.bulk_create(
        AlertAsset(
            alert=alert,
            asset=item,
            source="nvd",
            confidence="high",
            reason="cpe matched",
            priority=priority,
            first_seen=at,
            last_seen=at,
        )
        for item in assets
    )
    AlertEvent.objects.create(alert=alert, at=at, kind="created", details={"priority": priority})
    return alert

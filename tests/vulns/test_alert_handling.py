"""People's decisions on alerts, SLAs, escalation (frozen time) and the daily digest."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from vigie.audit.models import AuditEvent
from vigie.notify.models import Delivery
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import Organisation
from vigie.vulns import alerting
from vigie.vulns.models import Alert, AlertPolicy

from .support import HEADER, access_of, import_csv, load_feeds

PORTAL = (
    "portal,Portail patients,server,Apache,HTTP Server,2.4.59,"
    "cpe:2.3:a:apache:http_server:2.4.59:*:*:*:*:*:*:*,,,business,internet,DMZ\n"
)


@pytest.fixture
def act_alert(a_access: OrgAccess, small_feeds: Path) -> Alert:
    import_csv(a_access, HEADER + PORTAL)
    load_feeds(small_feeds)
    return Alert.objects.get(
        organisation=a_access.organisation, vulnerability__vuln_id="CVE-2024-38475"
    )


def test_acknowledging_records_who_and_when_and_is_audited(
    act_alert: Alert, a_access: OrgAccess
) -> None:
    updated = alerting.transition(access=a_access, alert=act_alert, to_state="acknowledged")
    assert updated.state == "acknowledged"
    assert updated.acknowledged_by == a_access.user
    assert updated.acknowledged_at is not None
    assert updated.events.filter(kind="state_changed", to_state="acknowledged").exists()
    event = AuditEvent.objects.get(action="alert.state_changed")
    assert event.details["to"] == "acknowledged"
    assert event.organisation == a_access.organisation


def test_accepting_a_risk_needs_a_justification(act_alert: Alert, a_access: OrgAccess) -> None:
    with pytest.raises(ValidationError):
        alerting.transition(
            access=a_access, alert=act_alert, to_state="accepted_risk", justification="ok"
        )
    done = alerting.transition(
        access=a_access,
        alert=act_alert,
        to_state="accepted_risk",
        justification="Portal behind the WAF rule 942100 until the upgrade on Friday.",
    )
    assert done.state == "accepted_risk"
    assert "WAF" in done.justification


def test_impossible_transition_is_refused(act_alert: Alert, a_access: OrgAccess) -> None:
    alerting.transition(access=a_access, alert=act_alert, to_state="resolved")
    with pytest.raises(ValidationError):
        alerting.transition(access=a_access, alert=act_alert, to_state="in_remediation")


def test_viewer_cannot_acknowledge(act_alert: Alert, a_viewer: Any, est_a: Organisation) -> None:
    viewer = access_of(a_viewer, est_a)
    with pytest.raises(PermissionDenied):
        alerting.transition(access=viewer, alert=act_alert, to_state="acknowledged")


def test_member_of_another_establishment_cannot_touch_the_alert(
    act_alert: Alert, b_access: OrgAccess
) -> None:
    with pytest.raises(PermissionDenied):
        alerting.transition(access=b_access, alert=act_alert, to_state="acknowledged")


def test_act_alert_ack_deadline_follows_the_establishment_policy(
    a_access: OrgAccess, small_feeds: Path
) -> None:
    AlertPolicy.objects.create(organisation=a_access.organisation, ack_hours_act=1)
    before = timezone.now()
    import_csv(a_access, HEADER + PORTAL)
    load_feeds(small_feeds)
    alert = Alert.objects.get(vulnerability__vuln_id="CVE-2024-38475")
    assert alert.ack_due_at is not None
    assert before + timedelta(minutes=59) <= alert.ack_due_at <= timezone.now() + timedelta(hours=1)


def test_unacknowledged_act_alert_goes_to_deputies_then_to_the_centre(
    act_alert: Alert, a_access: OrgAccess, centre_analyst: Any, make_user: Any
) -> None:
    deputy = make_user("a.deputy", a_access.organisation, "director")
    policy = AlertPolicy.objects.create(organisation=a_access.organisation, ack_hours_act=4)
    policy.deputies.add(deputy)
    start = act_alert.first_seen
    with time_machine.travel(start + timedelta(hours=3), tick=False):
        assert alerting.escalate_overdue() == 0
    with time_machine.travel(start + timedelta(hours=4, minutes=1), tick=False):
        assert alerting.escalate_overdue() == 1
        assert alerting.escalate_overdue() == 0  # once per level
    act_alert.refresh_from_db()
    assert act_alert.escalation_level == 1
    to_deputy = Delivery.objects.filter(event="alert.escalated", recipient=deputy.email)
    assert to_deputy.count() == 1
    with time_machine.travel(start + timedelta(hours=8, minutes=2), tick=False):
        assert alerting.escalate_overdue() == 1
    act_alert.refresh_from_db()
    assert act_alert.escalation_level == 2
    to_centre = Delivery.objects.get(event="alert.escalated", recipient=centre_analyst.email)
    assert to_centre.organisation.slug == "centre"
    assert act_alert.events.filter(kind="escalated").count() == 2


def test_acknowledged_alert_is_not_escalated(act_alert: Alert, a_access: OrgAccess) -> None:
    alerting.transition(access=a_access, alert=act_alert, to_state="acknowledged")
    with time_machine.travel(act_alert.first_seen + timedelta(days=2), tick=False):
        assert alerting.escalate_overdue() == 0


def test_daily_digest_lists_new_track_alerts_once_per_day(
    a_access: OrgAccess, small_feeds: Path
) -> None:
    pump = (
        "pump-1,Pompe Alaris,medical-device,BD,Alaris PC Unit model 8015,9.19,,,,"
        "support,isolated,Bloc\n"
    )
    import_csv(a_access, HEADER + pump)
    load_feeds(small_feeds)
    assert (
        Alert.objects.filter(organisation=a_access.organisation)
        .exclude(priority__in=["act", "attend"])
        .exists()
    )
    assert alerting.send_daily_digests() == 1
    alerting.send_daily_digests()
    digests = Delivery.objects.filter(event="digest.daily", recipient="a.admin@example.org")
    assert digests.count() == 1
    context = digests.get().payload["payload"]
    assert context["new"]
    assert context["organisation"] == a_access.organisation.slug

"""Trends rebuilt from alerts and their timelines: open alerts by priority, times, SLAs met."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import resolve
from freezegun import freeze_time

from tests.vulns.support import access_of
from vigie.tenancy.models import Organisation
from vigie.vulns import alerting
from vigie.vulns.models import Alert, AlertEvent, AlertPolicy, AlertState, Vulnerability
from vigie.vulns.trends import (
    duration_text,
    establishment_trends,
    sector_trends,
    supported_establishment_trends,
)

NOW = dt.datetime(2026, 6, 1, 21, 30, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


def open_alert(org: Organisation, cve: str, priority: str, at: dt.datetime) -> Alert:
    """An alert as alerting.apply creates it: deadlines from the policy, a `created` event."""
    vuln, _ = Vulnerability.objects.get_or_create(vuln_id=cve)
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
    AlertEvent.objects.create(alert=alert, at=at, kind="created", details={"priority": priority})
    return alert


def move(access: Any, alert: Alert, state: str, at: dt.datetime) -> Alert:
    with freeze_time(at):
        return alerting.transition(
            access=access, alert=alert, to_state=state, justification="checked on site"
        )


@pytest.fixture
def history(a_admin: Any, est_a: Organisation) -> dict[str, Alert]:
    """A: Act, acknowledged after 2 h, resolved after 10 days. B: Attend, open, never
    acknowledged. C: Track, open since before the period. D: Act, resolved after 12 h."""
    access = access_of(a_admin, est_a)
    a = open_alert(est_a, "CVE-2026-0001", "act", NOW - 30 * DAY)
    move(access, a, AlertState.ACKNOWLEDGED, NOW - 30 * DAY + 2 * HOUR)
    move(access, a, AlertState.RESOLVED, NOW - 20 * DAY)
    b = open_alert(est_a, "CVE-2026-0002", "attend", NOW - 10 * DAY)
    c = open_alert(est_a, "CVE-2026-0003", "track", NOW - 100 * DAY)
    d = open_alert(est_a, "CVE-2026-0004", "act", NOW - 5 * DAY)
    move(access, d, AlertState.RESOLVED, NOW - 5 * DAY + 12 * HOUR)
    return {"a": a, "b": b, "c": c, "d": d}


def _stats(rows: list[Any], priority: str) -> Any:
    return next(row for row in rows if row.priority == priority)


def test_open_alerts_by_priority_follow_openings_and_closures(
    history: dict[str, Alert], a_admin: Any, est_a: Organisation
) -> None:
    trends = establishment_trends(access_of(a_admin, est_a), now=NOW)
    # Thirteen points, a week apart, the last one now.
    assert trends.samples[-1] == NOW
    assert trends.samples[0] == NOW - 84 * DAY
    # A was open from 30 to 20 days ago: the points 28 and 21 days ago. D opened and closed
    # between two points.
    assert trends.open_by_priority["act"] == [0] * 8 + [1, 1] + [0, 0, 0]
    assert trends.open_by_priority["attend"] == [0] * 11 + [1, 1]
    assert trends.open_by_priority["track"] == [1] * 13
    assert trends.open_by_priority["track*"] == [0] * 13


def test_times_to_acknowledge_and_resolve_against_the_policy(
    history: dict[str, Alert], a_admin: Any, est_a: Organisation
) -> None:
    trends = establishment_trends(access_of(a_admin, est_a), now=NOW)
    act_ack = _stats(trends.acknowledge, "act")
    # A was acknowledged after 2 h, D when it was resolved, after 12 h; the target is 4 h.
    assert act_ack.count == 2
    assert act_ack.median == 7 * HOUR
    assert act_ack.p90 == 12 * HOUR
    assert act_ack.target_min == act_ack.target_max == 4 * HOUR
    assert act_ack.within_target == 1
    act_fix = _stats(trends.resolve, "act")
    assert act_fix.count == 2
    assert act_fix.median == (10 * DAY + 12 * HOUR) / 2
    assert act_fix.p90 == 10 * DAY
    assert act_fix.within_target == 1
    assert _stats(trends.resolve, "attend").count == 0
    assert _stats(trends.resolve, "attend").median is None


def test_share_of_deadlines_met_counts_alerts_still_open_past_their_deadline(
    history: dict[str, Alert], a_admin: Any, est_a: Organisation
) -> None:
    trends = establishment_trends(access_of(a_admin, est_a), now=NOW)
    # Acknowledgement: A in time; B (Attend, 48 h) never; D late (12 h for 4 h). Track: none.
    assert (trends.ack_sla.met, trends.ack_sla.total) == (1, 3)
    # Remediation: A late (10 days for 1), B past its 7 days, C past its 90 days, D in time.
    assert (trends.remediation_sla.met, trends.remediation_sla.total) == (1, 4)
    assert trends.remediation_sla.percent == 25.0


def test_the_establishment_policy_sets_the_targets(
    history: dict[str, Alert], a_admin: Any, est_a: Organisation
) -> None:
    AlertPolicy.objects.create(organisation=est_a, ack_hours_act=12, remediate_days_act=11)
    trends = establishment_trends(access_of(a_admin, est_a), now=NOW)
    assert _stats(trends.acknowledge, "act").within_target == 2
    assert _stats(trends.acknowledge, "act").target_max == 12 * HOUR
    assert (trends.remediation_sla.met, trends.remediation_sla.total) == (2, 4)


def test_a_raised_priority_moves_the_alert_to_its_new_series(
    a_admin: Any, est_a: Organisation
) -> None:
    alert = open_alert(est_a, "CVE-2026-0005", "track", NOW - 20 * DAY)
    AlertEvent.objects.create(
        alert=alert,
        at=NOW - 10 * DAY,
        kind="priority_raised",
        details={"previous": "track", "priority": "act"},
    )
    Alert.objects.filter(pk=alert.pk).update(priority="act")
    trends = establishment_trends(access_of(a_admin, est_a), now=NOW)
    assert trends.open_by_priority["track"] == [0] * 10 + [1, 0, 0]
    assert trends.open_by_priority["act"] == [0] * 11 + [1, 1]
    # Raised 10 days ago to Act: acknowledgement due 4 h later, missed.
    assert (trends.ack_sla.met, trends.ack_sla.total) == (0, 1)


def test_a_reopened_alert_is_not_open_while_it_was_closed(
    a_admin: Any, est_a: Organisation
) -> None:
    alert = open_alert(est_a, "CVE-2026-0006", "attend", NOW - 40 * DAY)
    AlertEvent.objects.create(
        alert=alert,
        at=NOW - 30 * DAY,
        kind="no_longer_affected",
        from_state=AlertState.NEW,
        to_state=AlertState.RESOLVED,
    )
    AlertEvent.objects.create(
        alert=alert,
        at=NOW - 3 * DAY,
        kind="reopened",
        from_state=AlertState.RESOLVED,
        to_state=AlertState.NEW,
    )
    trends = establishment_trends(access_of(a_admin, est_a), now=NOW)
    # Open 42 days ago? No (opened 40 days ago); 35 days ago yes; closed from 30 to 3 days ago.
    assert trends.open_by_priority["attend"] == [0] * 7 + [1] + [0] * 4 + [1]
    # Resolved by the platform after 10 days, within the 7-day target? No: 10 > 7.
    assert _stats(trends.resolve, "attend").count == 1
    assert _stats(trends.resolve, "attend").median == 10 * DAY


def test_sector_trends_pool_the_supported_establishments_only(
    history: dict[str, Alert],
    est_b: Organisation,
    centre_analyst: Any,
    centre: Organisation,
    b_admin: Any,
    make_user: Any,
) -> None:
    open_alert(est_b, "CVE-2026-0002", "attend", NOW - 2 * DAY)
    other_centre = Organisation.objects.create(kind="centre", name="Autre centre", slug="autre")
    est_c = Organisation.objects.create(
        kind="establishment", name="CH Gamma", slug="ch-gamma", centre=other_centre
    )
    open_alert(est_c, "CVE-2026-0003", "act", NOW - 2 * DAY)
    AlertPolicy.objects.create(organisation=est_b, ack_hours_attend=24)

    access = access_of(centre_analyst, centre)
    sector = sector_trends(access, now=NOW)
    assert sector.open_by_priority["attend"][-1] == 2
    assert sector.open_by_priority["act"][-1] == 0  # CH Gamma belongs to another centre
    attend = _stats(sector.acknowledge, "attend")
    assert (attend.target_min, attend.target_max) == (24 * HOUR, 48 * HOUR)

    only_b = supported_establishment_trends(access, est_b, now=NOW)
    assert only_b.open_by_priority["attend"][-1] == 1
    # A centre's access gives nothing of an establishment it does not support.
    assert (
        supported_establishment_trends(access, est_c, now=NOW).open_by_priority["act"] == [0] * 13
    )
    # An establishment's own trends are its own.
    assert (
        establishment_trends(access_of(b_admin, est_b), now=NOW).open_by_priority["track"]
        == [0] * 13
    )


def test_durations_read_in_the_locale() -> None:
    from django.utils import translation

    with translation.override("fr"):
        assert duration_text(90 * dt.timedelta(minutes=1)) == "1,5\u00a0h"
        assert duration_text(dt.timedelta(days=2, hours=12)) == "2,5\u00a0j"
        assert duration_text(dt.timedelta(minutes=20)) == "20\u00a0min"
    with translation.override("en"):
        assert duration_text(90 * dt.timedelta(minutes=1)) == "1.5 h"
        assert duration_text(None) == "—"


def test_dashboard_shows_the_trend_charts_with_french_numbers_and_local_dates(
    history: dict[str, Alert], a_admin: Any, client_for: Any
) -> None:
    a_admin.time_zone = "Indian/Reunion"
    a_admin.save()
    client = client_for(a_admin)
    resolve("/")  # load the URLs (and the API's schema) at the real clock
    with freeze_time(NOW):
        page = client.get("/o/chu-alpha/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert (
        '<title id="establishment-chart-open-title">Alertes ouvertes par priorité</title>' in page
    )
    assert "25,0\u00a0%" in page  # remediation deadlines met
    # 21:30 UTC on 1 June is already 2 June in Réunion.
    assert "2 juin" in page
    assert "1 juin" not in page
    with freeze_time(NOW):
        page = client.get("/o/chu-alpha/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<title id="establishment-chart-open-title">Open alerts by priority</title>' in page
    assert "25.0%" in page


def test_live_refresh_of_the_dashboard_leaves_the_trends_out(
    history: dict[str, Alert], a_admin: Any, client_for: Any
) -> None:
    client = client_for(a_admin)
    live = client.get("/o/chu-alpha/live/dashboard/", HTTP_HX_TARGET="vuln-dashboard")
    assert live.status_code == 200
    assert b'data-testid="trends"' not in live.content
    assert b'id="vuln-dashboard"' in live.content


def test_centre_dashboard_shows_the_sector_trends(
    history: dict[str, Alert], centre_analyst: Any, client_for: Any
) -> None:
    page = client_for(centre_analyst).get("/o/centre/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert b'<title id="sector-chart-open-title">Open alerts by priority</title>' in page.content
    assert b'id="sector-chart-tta-title"' in page.content

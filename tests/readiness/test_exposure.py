"""The exposure pillar from real alerts and their timelines, as of a moment."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.readiness.support import alert, asset, event
from vigie.engines.readiness import Reason, score_of
from vigie.readiness.days import local_date
from vigie.readiness.exposure import exposure_reasons
from vigie.tenancy.models import Organisation
from vigie.vulns.models import AlertPolicy


def test_no_inventory_scores_zero_rather_than_reading_as_no_alert(est_a: Organisation) -> None:
    assert exposure_reasons(est_a, timezone.now()) == [Reason("exposure.no_inventory", {}, 100)]


def test_an_inventory_with_no_open_alert_is_a_fact_in_its_favour(est_a: Organisation) -> None:
    now = timezone.now()
    asset(est_a)
    alert(est_a, "act", now - timedelta(days=3), state="resolved", state_changed_at=now)
    alert(est_a, "track", now - timedelta(days=3))  # Track does not count
    reasons = exposure_reasons(est_a, now + timedelta(minutes=1))
    assert reasons == [Reason("exposure.none_open", {}, 0)]
    assert score_of(reasons) == 100


def test_open_act_and_attend_alerts_cost_points_overdue_ones_more(est_a: Organisation) -> None:
    now = timezone.now()
    asset(est_a)
    # Default policy: remediate Act within 1 day, Attend within 7 (acknowledge 4 h / 48 h).
    old_act = alert(est_a, "act", now - timedelta(days=3), state="acknowledged")
    event(old_act, now - timedelta(days=3) + timedelta(hours=1), "state_changed", "acknowledged")
    alert(est_a, "act", now - timedelta(hours=1))  # within its deadlines
    alert(est_a, "attend", now - timedelta(hours=2))
    alert(est_a, "attend", now - timedelta(hours=3))
    reasons = {reason.code: reason for reason in exposure_reasons(est_a, now)}
    overdue = reasons["exposure.act_overdue"]
    assert overdue.points == 25
    assert overdue.params == {"count": 1, "since": local_date(now - timedelta(days=2))}
    assert reasons["exposure.act_open"] == Reason("exposure.act_open", {"count": 1}, 15)
    assert reasons["exposure.attend_open"] == Reason("exposure.attend_open", {"count": 2}, 8)
    assert "exposure.none_open" not in reasons


def test_an_unacknowledged_alert_past_its_acknowledgement_deadline_is_overdue(
    est_a: Organisation,
) -> None:
    now = timezone.now()
    asset(est_a)
    alert(est_a, "attend", now - timedelta(hours=50))  # 48 h to acknowledge, 7 days to fix
    (reason,) = exposure_reasons(est_a, now)
    assert reason.code == "exposure.attend_overdue"
    assert reason.params["count"] == 1


def test_the_policy_of_the_establishment_sets_the_deadlines(est_a: Organisation) -> None:
    now = timezone.now()
    asset(est_a)
    AlertPolicy.objects.create(organisation=est_a, ack_hours_attend=1)
    alert(est_a, "attend", now - timedelta(hours=2))
    assert [r.code for r in exposure_reasons(est_a, now)] == ["exposure.attend_overdue"]


def test_points_are_capped_per_kind(est_a: Organisation) -> None:
    now = timezone.now()
    asset(est_a)
    for _index in range(10):
        alert(est_a, "act", now - timedelta(days=5))
    (reason,) = exposure_reasons(est_a, now)
    assert reason.code == "exposure.act_overdue"
    assert reason.params["count"] == 10
    assert reason.points == 75


def test_as_of_a_past_moment_later_alerts_and_closures_do_not_count(est_a: Organisation) -> None:
    now = timezone.now()
    asset(est_a, created_at=now - timedelta(days=30))
    # Open at day -10, closed at day -2: open at day -5, closed now.
    closed = alert(
        est_a,
        "act",
        now - timedelta(days=10),
        state="resolved",
        state_changed_at=now - timedelta(days=2),
    )
    event(closed, now - timedelta(days=2), "state_changed", "resolved")
    alert(est_a, "attend", now - timedelta(days=1))  # raised after day -5
    past = now - timedelta(days=5)
    assert [r.code for r in exposure_reasons(est_a, past)] == ["exposure.act_overdue"]
    assert [r.code for r in exposure_reasons(est_a, now)] == ["exposure.attend_open"]
    # Before the inventory existed, nothing could be known.
    assert [r.code for r in exposure_reasons(est_a, now - timedelta(days=40))] == [
        "exposure.no_inventory"
    ]


def test_a_priority_raised_later_counts_with_its_priority_then(est_a: Organisation) -> None:
    now = timezone.now()
    asset(est_a)
    raised = alert(est_a, "act", now - timedelta(hours=10))
    event(raised, now - timedelta(hours=10), "created", priority="attend")
    event(raised, now - timedelta(hours=1), "priority_raised", priority="act", previous="attend")
    assert [r.code for r in exposure_reasons(est_a, now - timedelta(hours=5))] == [
        "exposure.attend_open"
    ]
    assert [r.code for r in exposure_reasons(est_a, now)] == ["exposure.act_open"]


def test_a_reopened_alert_starts_its_deadlines_afresh(est_a: Organisation) -> None:
    now = timezone.now()
    asset(est_a)
    reopened = alert(est_a, "act", now - timedelta(days=5), state="new")
    event(reopened, now - timedelta(days=4), "state_changed", "resolved")
    event(reopened, now - timedelta(hours=1), "reopened", "new")
    assert [r.code for r in exposure_reasons(est_a, now - timedelta(days=2))] == [
        "exposure.none_open"
    ]
    assert [r.code for r in exposure_reasons(est_a, now)] == ["exposure.act_open"]


def test_other_establishments_alerts_do_not_count(est_a: Organisation, est_b: Organisation) -> None:
    now = timezone.now()
    asset(est_a)
    asset(est_b)
    alert(est_b, "act", now - timedelta(days=3))
    assert [r.code for r in exposure_reasons(est_a, now)] == ["exposure.none_open"]

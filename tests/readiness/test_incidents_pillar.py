"""The incidents pillar from real incidents, their clocks and submissions, as of a moment."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.incidents.support import declare_directly
from vigie.engines.readiness import Reason
from vigie.incidents.models import Submission
from vigie.readiness.days import local_date
from vigie.readiness.incidents import incident_reasons
from vigie.tenancy.models import Organisation


def _count(reason: Reason) -> int:
    count = reason.params["count"]
    assert isinstance(count, int)
    return count


def test_no_incident_open_is_a_fact_in_its_favour(est_a: Organisation) -> None:
    now = timezone.now()
    declare_directly(
        est_a,
        phase="closed",
        declared_at=now - timedelta(days=9),
        closed_at=now - timedelta(days=1),
    )
    assert incident_reasons(est_a, now) == [Reason("incidents.none_open", {}, 0)]


def test_open_incident_costs_points(est_a: Organisation) -> None:
    now = timezone.now()
    declare_directly(est_a, phase="triage", declared_at=now - timedelta(hours=1))
    assert incident_reasons(est_a, now) == [Reason("incidents.open", {"count": 1}, 5)]


def test_a_major_incident_in_progress_and_its_overdue_reports(est_a: Organisation) -> None:
    now = timezone.now()
    declared = now - timedelta(days=4)
    # NIS2 essential (est_a): early warning at 24 h, notification at 72 h, ARS "sans délai".
    declare_directly(
        est_a, phase="containment", major=True, declared_at=declared, aware_at=declared
    )
    reasons = {reason.code: reason for reason in incident_reasons(est_a, now)}
    assert reasons["incidents.major_in_progress"] == Reason(
        "incidents.major_in_progress", {"count": 1, "since": local_date(declared)}, 40
    )
    overdue = reasons["incidents.reports_overdue"]
    count = overdue.params["count"]
    assert isinstance(count, int)
    assert count >= 3
    assert overdue.points == 45  # capped
    assert "incidents.open" not in reasons


def test_reports_submitted_after_the_moment_were_still_owed_then(est_a: Organisation) -> None:
    now = timezone.now()
    aware = now - timedelta(days=3, hours=12)  # every clock of 24 h and 72 h missed
    incident = declare_directly(est_a, phase="containment", declared_at=aware, aware_at=aware)
    before = {r.code: r for r in incident_reasons(est_a, now)}["incidents.reports_overdue"]
    for code in ("ars_cert_sante", "nis2_early_warning"):
        Submission.objects.create(
            incident=incident,
            code=code,
            channel="ARS",
            submitted_at=now - timedelta(hours=1),
            language="fr",
            snapshot={},
        )
    after = {r.code: r for r in incident_reasons(est_a, now)}.get("incidents.reports_overdue")
    earlier = {r.code: r for r in incident_reasons(est_a, now - timedelta(hours=2))}
    assert _count(earlier["incidents.reports_overdue"]) == _count(before)
    assert after is None or _count(after) < _count(before)


def test_as_of_a_past_moment(est_a: Organisation, est_b: Organisation) -> None:
    now = timezone.now()
    declare_directly(
        est_a,
        phase="closed",
        declared_at=now - timedelta(days=10),
        aware_at=now - timedelta(days=10),
        closed_at=now - timedelta(days=2),
    )
    declare_directly(est_a, number=2, phase="triage", declared_at=now - timedelta(hours=1))
    declare_directly(est_b, phase="triage", declared_at=now - timedelta(days=5))
    past = {r.code for r in incident_reasons(est_a, now - timedelta(days=5))}
    assert "incidents.open" in past  # the first one, open then
    assert [r.code for r in incident_reasons(est_a, now - timedelta(days=20))] == [
        "incidents.none_open"
    ]
    assert [r.params for r in incident_reasons(est_a, now) if r.code == "incidents.open"] == [
        {"count": 1}
    ]

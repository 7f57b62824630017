"""The daily snapshots: one row per establishment and day, whatever the number of runs."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.readiness.support import DRILLS, alert, asset, pillars_for_test
from vigie.core.scheduling import registered_jobs
from vigie.engines.readiness.overall import reason_from_json
from vigie.readiness.days import local_date
from vigie.readiness.jobs import record_readiness_snapshots
from vigie.readiness.models import ReadinessSnapshot
from vigie.readiness.scores import readiness_of, record_snapshot, record_snapshots
from vigie.tenancy.models import Organisation

MINE = ("exposure", "incidents")


def test_the_job_is_registered_daily() -> None:
    job = next(job for job in registered_jobs() if job.name == "readiness-snapshots")
    assert job.every == timedelta(days=1)


def test_the_job_records_one_snapshot_per_establishment_and_day(
    centre: Organisation, est_a: Organisation, est_b: Organisation
) -> None:
    with pillars_for_test(keep=MINE):
        result = record_readiness_snapshots.call()
        assert result == {"establishments": 2}
        record_snapshots()
        record_readiness_snapshots.call()
    rows = ReadinessSnapshot.objects.all()
    assert sorted(rows.values_list("organisation__slug", flat=True)) == [
        "chu-alpha",
        "clinique-beta",
    ]  # the centre has no snapshot
    assert {row.taken_on for row in rows} == {local_date(timezone.now())}


def test_a_second_run_the_same_day_updates_the_days_row(est_a: Organisation) -> None:
    now = timezone.now().replace(
        hour=9, minute=0
    )  # 10:00 or 11:00 in Paris: minutes later, same day
    with pillars_for_test(keep=MINE):
        first = record_snapshot(est_a, now)
        assert first.pillars["exposure"]["score"] == 0  # no inventory yet
        asset(est_a)
        alert(est_a, "act", now - timedelta(hours=1))
        second = record_snapshot(est_a, now + timedelta(minutes=1))
    assert second.pk == first.pk
    assert ReadinessSnapshot.objects.filter(organisation=est_a).count() == 1
    assert second.pillars["exposure"]["score"] == 85
    with pillars_for_test(keep=MINE):
        assert second.overall == readiness_of(est_a, now + timedelta(minutes=1)).overall


def test_a_snapshot_keeps_codes_and_parameters_dates_as_iso_strings(est_a: Organisation) -> None:
    now = timezone.now()
    with pillars_for_test(DRILLS, keep=MINE):
        snapshot = record_snapshot(est_a, now)
    drills = snapshot.pillars["drills"]
    assert drills["score"] == 60
    late = drills["reasons"][0]
    assert late["code"] == "drills.late"
    assert late["params"]["since"] == "2025-01-31T23:30:00+00:00"
    assert reason_from_json(late).params["count"] == 1234
    # 3 × 0 (no inventory) + 2 × 100 (no incident) + 1 × 60 (drills): 260 / 6 = 43
    assert snapshot.overall == 43


def test_past_days_get_their_own_rows(est_a: Organisation) -> None:
    now = timezone.now()
    with pillars_for_test(keep=MINE):
        for weeks in (2, 1, 0):
            record_snapshot(est_a, now - timedelta(weeks=weeks))
            record_snapshot(est_a, now - timedelta(weeks=weeks))
    assert ReadinessSnapshot.objects.filter(organisation=est_a).count() == 3

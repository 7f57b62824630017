"""The overall score, its level and the trend helpers (framework-free)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from vigie.engines.readiness import Reason
from vigie.engines.readiness.overall import (
    WEIGHTS,
    Level,
    Point,
    by_points_lost,
    change,
    level_of,
    mean_points,
    mean_score,
    one_per_week,
    overall_score,
    overall_series,
    pillar_series,
    reason_from_json,
    reason_to_json,
    weakest,
)


def test_exposure_and_backups_weigh_most() -> None:
    top = max(WEIGHTS.values())
    assert WEIGHTS["exposure"] == WEIGHTS["backups"] == top
    assert all(
        weight < top for code, weight in WEIGHTS.items() if code not in {"exposure", "backups"}
    )


def test_overall_score_is_the_weighted_mean_rounded() -> None:
    # exposure 3 × 0, training 1 × 100: (0 + 100) / 4 = 25
    assert overall_score({"exposure": 0, "training": 100}) == 25
    assert overall_score({"exposure": 50, "backups": 51}) == 51  # 50.5 rounds up


def test_a_pillar_the_table_does_not_know_counts_with_weight_one() -> None:
    assert overall_score({"training": 0, "later": 100}) == 50


def test_no_pillar_has_no_overall_score() -> None:
    assert overall_score({}) is None
    assert level_of(None) is None


def test_levels_at_their_boundaries() -> None:
    assert level_of(100) == level_of(80) == Level.GOOD
    assert level_of(79) == level_of(50) == Level.FRAGILE
    assert level_of(49) == level_of(0) == Level.AT_RISK


def test_reasons_sorted_by_points_lost_positive_facts_last() -> None:
    good = Reason("x.fine", {}, 0)
    small = Reason("x.small", {}, 5)
    big = Reason("x.big", {}, 40)
    assert by_points_lost([good, small, big]) == [big, small, good]


def test_weakest_pillar() -> None:
    assert weakest({"exposure": 70, "backups": 20, "training": 90}) == "backups"
    assert weakest({}) is None


def test_change_since_the_previous_known_point() -> None:
    assert change([50, 60, 55]) == -5
    assert change([50, None, 65]) == 15
    assert change([70]) is None
    assert change([]) is None


def test_series_are_in_date_order_with_gaps_for_pillars_not_scored_yet() -> None:
    points = [
        Point(date(2025, 3, 10), 60, {"exposure": 60, "backups": 40}),
        Point(date(2025, 3, 3), 50, {"exposure": 50}),
    ]
    assert overall_series(points) == [50, 60]
    assert pillar_series(points, "backups") == [None, 40]


def test_one_point_per_week_keeps_the_latest_of_the_week() -> None:
    points = [
        Point(date(2025, 3, 3), 10),  # Monday
        Point(date(2025, 3, 9), 20),  # Sunday, same ISO week
        Point(date(2025, 3, 10), 30),  # next Monday
    ]
    assert [p.overall for p in one_per_week(points)] == [20, 30]


def test_sector_trend_is_the_mean_per_week() -> None:
    a = [Point(date(2025, 3, 3), 40, {"exposure": 40}), Point(date(2025, 3, 10), 60, {})]
    b = [Point(date(2025, 3, 4), 81, {"exposure": 80})]
    means = mean_points([a, b])
    assert [(p.taken_on, p.overall, p.pillars) for p in means] == [
        (date(2025, 3, 4), 61, {"exposure": 60}),
        (date(2025, 3, 10), 60, {}),
    ]
    assert mean_score([None, 10, 21]) == 16
    assert mean_score([None]) is None


def test_reasons_round_trip_through_json_with_dates_as_iso_strings() -> None:
    reason = Reason(
        "backups.stale",
        {
            "count": 2,
            "ratio": 1.5,
            "name": "PACS",
            "since": date(2025, 1, 31),
            "at": datetime(2025, 2, 1, 8, 30, tzinfo=UTC),
            "none": None,
        },
        30,
    )
    data = reason_to_json(reason)
    assert data["params"]["since"] == "2025-01-31"
    assert data["params"]["at"] == "2025-02-01T08:30:00+00:00"
    assert reason_from_json(data) == reason


def test_reason_json_that_does_not_read_back_degrades_to_strings() -> None:
    read = reason_from_json(
        {
            "code": "x.y",
            "points": "many",
            "params": {"since": "not a date", "v": [1]},
            "types": {"since": "date"},
        }
    )
    assert read == Reason("x.y", {"since": "not a date", "v": "[1]"}, 0)

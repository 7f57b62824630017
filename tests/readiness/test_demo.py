"""The demo's readiness: twelve weeks of honest snapshots per demo establishment, idempotent."""

from __future__ import annotations

from typing import Any

from tests.readiness.support import pillars_for_test
from vigie.core.demo import DemoReport
from vigie.core.demo.organisations import load_organisations
from vigie.readiness.demo import load
from vigie.readiness.models import ReadinessSnapshot
from vigie.readiness.scores import TREND_WEEKS


def _rows() -> list[tuple[Any, ...]]:
    return list(
        ReadinessSnapshot.objects.order_by("organisation__slug", "taken_on").values_list(
            "organisation__slug", "taken_on", "overall", "pillars"
        )
    )


def test_the_demo_records_twelve_weeks_and_today_once(db: Any) -> None:
    load_organisations(DemoReport())
    with pillars_for_test(keep=("exposure", "incidents")):
        load(DemoReport())
        first = _rows()
        load(DemoReport())
    assert _rows() == first
    slugs = {row[0] for row in first}
    assert slugs == {"chu-val-de-loire", "ch-montclair", "clinique-des-tilleuls"}
    assert len(first) == 3 * (TREND_WEEKS + 1)
    assert all(set(row[3]) == {"exposure", "incidents"} for row in first)

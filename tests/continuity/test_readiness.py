"""The continuity pillar of readiness: its reasons, computed as the plans stood at `now`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.continuity.support import add_aid, add_process, unit_with_plan
from vigie.continuity.readiness import REASON_TEXTS, continuity_reasons
from vigie.engines.readiness import score_of
from vigie.readiness.pillars import pillars
from vigie.tenancy.models import CareUnit, Organisation

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


def _codes(organisation: Organisation, now: datetime = NOW) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for reason in continuity_reasons(organisation, now):
        found.setdefault(reason.code, []).append(reason)
    return found


def test_the_pillar_is_registered_with_its_page() -> None:
    spec = next(p for p in pillars() if p.code == "continuity")
    assert (spec.order, spec.url_name) == (30, "continuity:index")


def test_no_care_unit_or_no_plan_takes_all_the_points(est_a: Organisation) -> None:
    assert score_of(continuity_reasons(est_a, NOW)) == 0
    CareUnit.objects.create(organisation=est_a, name="Radiologie")
    reasons = continuity_reasons(est_a, NOW + timedelta(days=1))
    assert [(r.code, r.points) for r in reasons] == [("continuity.nothing", 100)]


def test_a_complete_recent_plan_scores_full_marks(est_a: Organisation) -> None:
    _unit, plan = unit_with_plan(
        est_a,
        created_at=NOW - timedelta(days=30),
        reviewed_at=NOW - timedelta(days=10),
        kit_checked_on=date(2026, 5, 1),
    )
    add_process(plan, "Tri", 1, "Grille papier")
    add_aid(plan, "CH de Montclair", date(2026, 3, 1))
    reasons = continuity_reasons(est_a, NOW)
    assert score_of(reasons) == 100
    codes = {r.code for r in reasons}
    assert codes == {"continuity.plans", "continuity.rto_coverage"}


def test_every_gap_is_a_reason(est_a: Organisation) -> None:
    _unit, plan = unit_with_plan(
        est_a,
        "Bloc opératoire",
        created_at=NOW - timedelta(days=800),
        reviewed_at=NOW - timedelta(days=400),
        kit_checked_on=date(2025, 1, 5),
    )
    add_process(plan, "Traçabilité des implants", 24)
    add_aid(plan, "CH de Montclair", None)
    add_aid(plan, "Clinique voisine", date(2025, 2, 1))
    CareUnit.objects.create(organisation=est_a, name="Pharmacie")
    found = _codes(est_a, datetime.now(UTC))
    assert found["continuity.units_without_plan"][0].params["units"] == "Pharmacie"
    assert found["continuity.review_overdue"][0].params["unit"] == "Bloc opératoire"
    assert found["continuity.no_workaround"][0].params["process"] == "Traçabilité des implants"
    assert found["continuity.aid_untested"][0].params["partner"] == "CH de Montclair"
    assert found["continuity.aid_stale"][0].params["partner"] == "Clinique voisine"
    assert found["continuity.kit_stale"][0].params["checked"] == date(2025, 1, 5)
    assert found["continuity.rto_coverage"][0].params["percent"] == 0
    assert all(code in REASON_TEXTS for code in found)
    # Every text formats with its reason's parameters.
    for reasons in found.values():
        for reason in reasons:
            assert str(REASON_TEXTS[reason.code]) % reason.params


def test_the_pillar_is_computed_as_of_now(est_a: Organisation) -> None:
    _unit, plan = unit_with_plan(est_a, created_at=NOW - timedelta(days=30))
    add_process(plan, "Tri", 1)  # created with the plan
    late = add_process(plan, "Ajouté plus tard", 4)
    late.created_at = NOW + timedelta(days=5)
    late.save()
    plan.kit_checked_on = date(2026, 6, 20)  # checked after `now`: not yet, as of `now`
    plan.save()
    found = _codes(est_a)
    assert [r.params["process"] for r in found["continuity.no_workaround"]] == ["Tri"]
    assert "continuity.kit_unchecked" in found
    assert continuity_reasons(est_a, NOW - timedelta(days=60)) == [
        r
        for r in continuity_reasons(est_a, NOW - timedelta(days=60))
        if r.code == "continuity.nothing"
    ]

"""The continuity demo: plans for five CHU units, one overdue, one unit without a plan, one
plan at the CH de Montclair; a second run changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from vigie.continuity.demo import load_continuity
from vigie.continuity.models import Contact, ContinuityPlan, CriticalProcess, MutualAid
from vigie.continuity.status import MISSING, OVERDUE, unit_statuses
from vigie.core.demo import DemoReport
from vigie.core.demo.organisations import load_organisations
from vigie.tenancy.models import Organisation

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count() for model in (ContinuityPlan, Contact, CriticalProcess, MutualAid)
    )


def test_the_demo_loads_once_and_shows_every_status(db: Any) -> None:
    load_organisations(DemoReport())
    load_continuity(DemoReport())
    first = _counts()
    load_continuity(DemoReport())
    assert _counts() == first
    chu = Organisation.objects.get(slug="chu-val-de-loire")
    from django.utils import timezone

    statuses = {row.unit.name: row.status for row in unit_statuses(chu, timezone.localdate())}
    assert statuses["Bloc opératoire"] == OVERDUE
    assert statuses["Pharmacie"] == MISSING
    assert {"Urgences adultes", "Radiologie", "Maternité", "Laboratoire"} <= {
        name for name, status in statuses.items() if status not in (MISSING, OVERDUE)
    }
    assert MutualAid.objects.filter(plan__organisation=chu, partner="CH de Montclair").count() == 2
    assert ContinuityPlan.objects.filter(organisation__slug="ch-montclair").exists()

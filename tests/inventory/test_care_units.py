"""The care-unit list read through the index gives exactly what SELECT DISTINCT gives."""

from __future__ import annotations

from typing import Any

from vigie.inventory.care_units import care_units
from vigie.inventory.models import Asset
from vigie.tenancy.access import org_access
from vigie.tenancy.models import Organisation


def _asset(org: Organisation, name: str, location: str) -> None:
    Asset.objects.create(organisation=org, external_id=name, name=name, location=location)


def test_care_units_are_distinct_sorted_own_and_never_empty(
    est_a: Organisation, est_b: Organisation, a_admin: Any
) -> None:
    for index, unit in enumerate(
        ["Réanimation", "Cardiologie", "Réanimation", "", "Bloc A", "réanimation", "Zèbre", ""]
    ):
        _asset(est_a, f"poste-{index}", unit)
    _asset(est_b, "autre", "Unité d'un autre établissement")
    access = org_access(a_admin, est_a.slug)

    units = care_units(access)

    expected = list(
        Asset.objects.filter(organisation=est_a)
        .exclude(location="")
        .order_by("location")
        .values_list("location", flat=True)
        .distinct()
    )
    assert units == expected
    assert set(units) == {"Bloc A", "Cardiologie", "Réanimation", "réanimation", "Zèbre"}
    assert "Unité d'un autre établissement" not in units


def test_an_inventory_without_care_units_gives_none(est_a: Organisation, a_admin: Any) -> None:
    _asset(est_a, "poste", "")
    assert care_units(org_access(a_admin, est_a.slug)) == []

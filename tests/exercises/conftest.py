"""Fixtures of the exercise tests: an exercise made from the ransomware template at A."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.vulns.support import access_of
from vigie.exercises import actions
from vigie.exercises.models import Exercise
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import Organisation


@pytest.fixture
def a_access(a_admin: Any, est_a: Organisation) -> OrgAccess:
    return access_of(a_admin, est_a)


@pytest.fixture
def exercise(a_access: OrgAccess) -> Exercise:
    return actions.create_exercise(
        a_access, title="", kind="tabletop", planned_for=date(2026, 3, 1), template="ransomware"
    )

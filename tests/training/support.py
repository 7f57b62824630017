"""Helpers of the training tests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import CareUnit, Membership, Organisation
from vigie.training import actions
from vigie.training.models import Assignment, TrainingModule
from vigie.training.sync import sync_catalogue


def access_for(user: Any, organisation: Organisation) -> OrgAccess:
    membership = Membership.objects.select_related("organisation").get(
        user=user, organisation=organisation
    )
    return OrgAccess(user=user, organisation=organisation, membership=membership)


def module(slug: str = "phishing") -> TrainingModule:
    sync_catalogue()
    return TrainingModule.objects.get(organisation=None, slug=slug)


def right_answers(mod: TrainingModule) -> dict[str, list[str]]:
    return {
        q["id"]: [c["id"] for c in q["choices"] if c.get("correct")]
        for q in mod.text("fr")["questions"]
    }


def quiz_post(mod: TrainingModule, answers: dict[str, list[str]]) -> dict[str, Any]:
    data: dict[str, Any] = {"version": mod.version}
    for qid, given in answers.items():
        data[f"q_{qid}"] = given
    return data


def assign(
    admin: Any,
    organisation: Organisation,
    *,
    slug: str = "phishing",
    roles: list[str] | None = None,
    units: list[CareUnit] | None = None,
    due_on: date | None = None,
) -> Assignment:
    return actions.assign(
        access_for(admin, organisation),
        module=module(slug),
        roles=roles or [],
        care_units=units or [],
        due_on=due_on or timezone.localdate() + timedelta(days=14),
    )


def set_unit(user: Any, organisation: Organisation, unit: CareUnit | None) -> None:
    Membership.objects.filter(user=user, organisation=organisation).update(care_unit=unit)

"""Helpers of the continuity tests: a care unit with a plan, written directly."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils import timezone

from vigie.continuity.models import Contact, ContinuityPlan, CriticalProcess, MutualAid
from vigie.tenancy.models import CareUnit, Organisation


def unit_with_plan(
    organisation: Organisation,
    name: str = "Urgences adultes",
    *,
    created_at: datetime | None = None,
    reviewed_at: datetime | None = None,
    kit_checked_on: date | None = None,
    phone: str = "02 47 47 80 00",
    **plan: Any,
) -> tuple[CareUnit, ContinuityPlan]:
    unit = CareUnit.objects.create(organisation=organisation, name=name, code=name[:3].upper())
    when = created_at or timezone.now()
    record = ContinuityPlan.objects.create(
        organisation=organisation,
        care_unit=unit,
        admission_procedure="Fiche d'admission papier, bracelet pré-numéroté.",
        prescription_procedure="Ordonnances papier, résultats par téléphone.",
        kit_location="Armoire grise du poste IDE",
        kit_contents="Fiches, bracelets, ordonnances",
        kit_checked_on=kit_checked_on,
        last_reviewed_at=reviewed_at,
        created_at=when,
        updated_at=when,
        **plan,
    )
    Contact.objects.create(
        plan=record,
        name="Cellule de crise",
        function="Directeur de garde",
        phone=phone,
        alternate_phone="06 12 34 56 78",
        when_to_call="Dès la bascule",
        created_at=when,
    )
    return unit, record


def add_process(plan: ContinuityPlan, name: str, rto: int, workaround: str = "") -> CriticalProcess:
    return CriticalProcess.objects.create(
        plan=plan, name=name, rto_hours=rto, workaround=workaround, created_at=plan.created_at
    )


def add_aid(plan: ContinuityPlan, partner: str, tested_on: date | None) -> MutualAid:
    return MutualAid.objects.create(
        plan=plan,
        partner=partner,
        provides=["imaging"],
        contact="02 38 11 22 33",
        tested_on=tested_on,
        created_at=plan.created_at,
    )

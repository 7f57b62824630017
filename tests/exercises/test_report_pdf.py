"""The exercise report (RETEX) as PDF, read back with pypdf."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from pypdf import PdfReader

from tests.helpers import signed_in
from vigie.exercises import actions
from vigie.exercises.models import Exercise
from vigie.exercises.report_pdf import render_pdf
from vigie.tenancy.access import OrgAccess


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _played(a_access: OrgAccess, exercise: Exercise) -> Exercise:
    exercise = actions.start_exercise(a_access, exercise)
    inject = exercise.injects.first()
    assert inject is not None
    actions.deliver_inject(a_access, exercise, inject.pk)
    actions.add_observation(a_access, exercise, text="Astreinte injoignable", kind="gap")
    actions.add_participant(
        a_access, exercise, role="observer", name="Isabelle Caron", function="ARS"
    )
    exercise = actions.end_exercise(a_access, exercise)
    actions.add_lesson(a_access, exercise, kind="went_well", text="Cellule réunie vite")
    actions.add_action(
        a_access, exercise, title="Annuaire d'astreinte", due_on=date(2020, 1, 1), owner_name="DSI"
    )
    return exercise


def test_report_holds_every_part_in_english(a_access: OrgAccess, exercise: Exercise) -> None:
    exercise = _played(a_access, exercise)
    text = _text(render_pdf(exercise, language="en", time_zone="Europe/Paris"))
    for expected in (
        "Exercise report (RETEX)",
        "Isabelle Caron",
        "Astreinte injoignable",
        "Cellule réunie vite",
        "Annuaire d'astreinte",
        "overdue",
        "Europe/Paris",
        "What went well",
    ):
        assert expected in text


def test_report_follows_the_readers_language_and_zone(
    a_access: OrgAccess, exercise: Exercise, a_admin: Any
) -> None:
    exercise = _played(a_access, exercise)
    a_admin.language = "fr"
    a_admin.time_zone = "America/Cayenne"
    a_admin.save()
    response = signed_in(a_admin).get(f"/o/chu-alpha/exercises/{exercise.pk}/report.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = _text(response.content)
    assert "America/Cayenne" in text
    assert "RETEX" in text

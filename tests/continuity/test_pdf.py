"""The plans printed for the day IT is down: one A4 page per care unit, the unit's name and
its phone numbers in the text, in the reader's language."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader

from tests.continuity.support import add_aid, add_process, unit_with_plan
from tests.helpers import signed_in
from vigie.continuity.plan_pdf import render_plans
from vigie.tenancy.models import CareUnit, Organisation

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> tuple[int, list[str]]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), [page.extract_text() for page in reader.pages]


def test_the_all_units_pdf_has_one_page_per_unit(a_viewer: Any, est_a: Organisation) -> None:
    _u1, urgences = unit_with_plan(est_a, "Urgences adultes", phone="02 47 47 80 00")
    add_process(urgences, "Accueil et tri", 1, "Tri sur grille papier")
    add_aid(urgences, "CH de Montclair", None)
    unit_with_plan(est_a, "Radiologie", phone="02 47 47 62 00")
    CareUnit.objects.create(organisation=est_a, name="Pharmacie")  # no plan: a page saying so
    response = signed_in(a_viewer).get(f"/o/{est_a.slug}/continuity/plans.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    count, pages = _text(response.content)
    assert count == 3
    assert "Pharmacie" in pages[0]
    assert "Radiologie" in pages[1]
    assert "02 47 47 62 00" in pages[1]
    assert "Urgences adultes" in pages[2]
    assert "02 47 47 80 00" in pages[2]
    assert "CH de Montclair" in pages[2]


def test_a_busy_plan_still_prints_on_one_page(a_admin: Any, est_a: Organisation) -> None:
    unit, plan = unit_with_plan(est_a, "Bloc opératoire")
    plan.admission_procedure = ("Programme opératoire imprimé la veille. " * 25)[:900]
    plan.prescription_procedure = ("Feuille d'anesthésie papier. " * 35)[:900]
    plan.kit_contents = ("Fiches, bracelets, ordonnances. " * 10)[:300]
    plan.save()
    for i in range(6):
        add_process(plan, f"Processus critique {i}", i + 1, "Contournement papier " * 5)
    for i in range(7):
        plan.contacts.create(name=f"Contact {i}", phone=f"02 47 47 80 {i:02d}", function="IDE")
    for i in range(6):
        plan.paper_forms.create(name=f"Fiche {i}", kept_at="Armoire grise, chemise rouge")
    for i in range(4):
        add_aid(plan, f"Centre hospitalier partenaire {i}", None)
    pdf = render_plans(est_a, [unit], language="fr", time_zone="Europe/Paris")
    count, pages = _text(pdf)
    assert count == 1
    assert "Bloc opératoire" in pages[0]
    assert "02 47 47 80 06" in pages[0]
    assert "Centre hospitalier partenaire 3" in pages[0]


def test_the_unit_pdf_speaks_the_readers_language(a_viewer: Any, est_a: Organisation) -> None:
    unit, _plan = unit_with_plan(est_a, "Maternité")
    for language, words in (("en", "Who to call"), ("fr", "Qui appeler")):
        a_viewer.language = language
        a_viewer.save()
        client = signed_in(a_viewer)
        response = client.get(
            f"/o/{est_a.slug}/continuity/units/{unit.pk}/plan.pdf",
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert response.status_code == 200
        count, pages = _text(response.content)
        assert count == 1
        assert "Maternité" in pages[0]
        assert "02 47 47 80 00" in pages[0]
        if language == "en":
            assert words in pages[0]

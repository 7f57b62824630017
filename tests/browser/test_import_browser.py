"""Importing an SBOM in a real browser, in French and in English: the care unit, criticality and
exposure given for the whole file reach every component; a refused file says so in the reader's
language, without counts of what it would have imported, and its long values wrap."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from tests.helpers import PASSWORD
from tests.inventory.test_inventory_import import HEADER, SBOM
from vigie.inventory.models import Asset, Criticality, Exposure

pytestmark = pytest.mark.browser


def sign_in(page: Any, user: Any, language: str) -> None:
    user.language = language
    user.save()
    page.goto("/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/o/chu-alpha/")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_sbom_import_gives_every_component_the_care_unit_criticality_and_exposure(
    page: Any, a_admin: Any, language: str
) -> None:
    sign_in(page, a_admin, language)
    page.goto("/o/chu-alpha/inventory/import/")
    with translation.override(language):
        location_label = translation.gettext("Care unit for the whole file")
        criticality_label = str(Criticality.LIFE_SUSTAINING.label)
        exposure_label = str(Exposure.ISOLATED.label)
        rows_label = translation.npgettext("import summary", "row", "rows", 2)
    page.set_input_files("#id_file", str(SBOM))
    page.check("#id_medical_device")
    page.get_by_label(location_label).fill("Réanimation")
    page.select_option("#id_criticality", label=criticality_label)
    page.select_option("#id_exposure", label=exposure_label)
    with page.expect_navigation():
        page.locator("form.card button[type=submit]").click()
    assert page.get_by_test_id("import-new").inner_text() == "66"
    rows_tile = page.locator(".stat", has=page.get_by_test_id("import-rows"))
    assert rows_label in rows_tile.inner_text()
    with page.expect_navigation():
        page.locator("form[action$='/commit/'] button").click()
    assert set(Asset.objects.values_list("location", "criticality", "exposure")) == {
        ("Réanimation", "life-sustaining", "isolated")
    }


@pytest.mark.parametrize("language", ["fr", "en"])
def test_refused_file_shows_no_counts_and_its_long_values_wrap(
    page: Any, a_admin: Any, language: str, tmp_path: Path
) -> None:
    sign_in(page, a_admin, language)
    long_cpe = "cpe:2.3:a:" + "x" * 300
    bad = tmp_path / "inventaire.csv"
    bad.write_text(HEADER + f"pump,Pompe,spaceship,BD,Alaris,1,{long_cpe},,,,,\n")
    page.goto("/o/chu-alpha/inventory/import/")
    page.set_input_files("#id_file", str(bad))
    with page.expect_navigation():
        page.locator("form.card button[type=submit]").click()
    assert page.get_by_test_id("import-refused").is_visible()
    assert page.get_by_test_id("import-new").count() == 0
    table = page.get_by_test_id("import-error-table")
    text = table.inner_text()
    if language == "fr":
        assert "valeur «\u00a0spaceship\u00a0» inconnue" in text
    else:
        assert "unknown kind “spaceship”" in text
    assert "'spaceship'" not in text
    # The 300-character CPE wraps inside the card instead of widening the page.
    cell = table.locator("td", has_text="xxxxxxxx").first
    assert cell.evaluate("e => getComputedStyle(e).overflowWrap") == "anywhere"
    width = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert width is True

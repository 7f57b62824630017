"""Trends and exposure in a real browser, in French and in English: the charts carry their
accessible titles, and the sector CVE page and the establishment page are reached with the
keyboard only."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import PASSWORD, add_totp, totp_code
from tests.vulns.exposure_support import alert_on, asset

pytestmark = pytest.mark.browser

TEXTS = {
    "fr": {
        "open": "Alertes ouvertes par priorité",
        "tta": "Délai de prise en compte",
        "ttr": "Délai de correction",
        "sla": "Délais respectés",
        "exposure_of": "Exposition de CHU Alpha",
        "exposure": "Exposition",
        "figures": "Afficher les chiffres",
    },
    "en": {
        "open": "Open alerts by priority",
        "tta": "Time to acknowledge",
        "ttr": "Time to resolve",
        "sla": "Deadlines met",
        "exposure_of": "Exposure of CHU Alpha",
        "exposure": "Exposure",
        "figures": "Show the figures",
    },
}


def _tab_to(page: Any, text: str) -> None:
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == text:
            return
    pytest.fail(f"{text!r} is not reachable with Tab")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_analyst_reads_the_trends_and_reaches_the_exposure_pages_with_the_keyboard(
    page: Any, centre_analyst: Any, est_a: Any, language: str
) -> None:
    texts = TEXTS[language]
    centre_analyst.language = language
    centre_analyst.save()
    alert_on(
        est_a,
        "CVE-2026-3001",
        "act",
        [
            asset(
                est_a,
                "Pompe à perfusion",
                version="9.1",
                location="Réanimation polyvalente et surveillance continue",
                criticality="life-sustaining",
            )
        ],
    )
    device = add_totp(centre_analyst)
    page.goto("/accounts/login/")
    page.keyboard.type("centre.analyst")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/accounts/login/verify/")
    page.get_by_label("Code", exact=False).fill(totp_code(device))
    page.keyboard.press("Enter")
    page.wait_for_url("**/o/centre/")

    # The sector's charts, named for assistive technologies by their titles.
    for key in ("open", "tta", "ttr", "sla"):
        assert page.get_by_role("img", name=texts[key], exact=True).count() == 1
    open_chart = page.get_by_test_id("sector-chart-open")
    open_chart.get_by_text(texts["figures"]).click()
    assert open_chart.locator("table tbody tr").count() == 13

    # To the CVE's sector page, then to the establishment, with the keyboard only.
    _tab_to(page, "CVE-2026-3001")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    row = page.get_by_test_id("exposure-row-chu-alpha")
    assert "Pompe à perfusion" in row.inner_text()
    assert "9.1" in row.inner_text()
    _tab_to(page, texts["exposure_of"])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/o/centre/establishments/chu-alpha/#exposure")
    exposure = page.get_by_test_id("establishment-exposure")
    assert exposure.locator("h2").inner_text() == texts["exposure"]
    assert page.get_by_test_id("exposure-act").inner_text() == "1"
    assert "Pompe à perfusion" in page.get_by_test_id("exposure-assets").inner_text()
    assert page.get_by_role("img", name=texts["open"], exact=True).count() == 1

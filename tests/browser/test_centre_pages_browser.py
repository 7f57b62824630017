"""The centre's page of an establishment and its sector page of one CVE, in a real browser, in
French and in English. What test_trends_browser already reads (the charts, the Act count, the
keyboard path from the dashboard) is not read again: here the whole exposure section, the
sector rows of several establishments, and the links between the two pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.helpers import PASSWORD, add_totp, totp_code
from tests.vulns.exposure_support import alert_on, asset
from vigie.tenancy.models import Organisation

pytestmark = pytest.mark.browser

TEXTS = {
    "fr": {
        "open_act": "Act ouvertes",
        "open_attend": "Attend ouvertes",
        "overdue": "en retard",
        "vital": "Vital",
        "business": "Administratif",
        "affected": "établissements concernés sur 2",
        "not_yet": "pas encore",
        "exposure_of_beta": "Exposition de Clinique Beta",
    },
    "en": {
        "open_act": "open Act",
        "open_attend": "open Attend",
        "overdue": "overdue",
        "vital": "Life-sustaining",
        "business": "Business",
        "affected": "of 2 establishments affected",
        "not_yet": "not yet",
        "exposure_of_beta": "Exposure of Clinique Beta",
    },
}


@pytest.fixture
def exposed(est_a: Organisation, est_b: Organisation) -> None:
    pump = asset(
        est_a,
        "Pompe à perfusion",
        version="9.1",
        location="Réanimation",
        criticality="life-sustaining",
    )
    server = asset(est_a, "Serveur PACS", version="2.4.49", criticality="business")
    desk = asset(est_a, "Poste accueil", criticality="support")
    alert_on(est_a, "CVE-2026-4001", "act", [pump, server])
    alert_on(est_a, "CVE-2026-4002", "attend", [pump], age=dt.timedelta(days=30))
    alert_on(est_a, "CVE-2026-4003", "track", [desk])
    alert_on(est_b, "CVE-2026-4001", "attend", [asset(est_b, "Portail", version="2.4.1")])
    other = Organisation.objects.create(kind="centre", name="Autre centre", slug="autre")
    gamma = Organisation.objects.create(
        kind="establishment", name="CH Gamma", slug="ch-gamma", centre=other
    )
    alert_on(gamma, "CVE-2026-4001", "act", [asset(gamma, "Serveur Gamma", version="2.4.48")])


def _sign_in(page: Any, user: Any, language: str) -> None:
    user.language = language
    user.save()
    device = add_totp(user)
    page.goto("/accounts/login/")
    # Chromium applies autofocus a frame after load: wait for it, then type.
    expect(page.locator("input[name=username]")).to_be_focused()
    page.keyboard.type(user.username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/accounts/login/verify/")
    page.get_by_label("Code", exact=False).fill(totp_code(device))
    page.keyboard.press("Enter")
    page.wait_for_url("**/o/centre/")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_establishment_page_shows_its_whole_exposure_and_leads_to_the_urgent_cve(
    page: Any, centre_analyst: Any, exposed: None, language: str
) -> None:
    texts = TEXTS[language]
    _sign_in(page, centre_analyst, language)
    page.goto("/o/centre/establishments/chu-alpha/")
    exposure = page.get_by_test_id("establishment-exposure")

    # Open alerts by priority, and the overdue one (the Attend alert, 30 days old).
    stats = exposure.locator(".stats").inner_text()
    assert texts["open_act"] in stats
    assert texts["open_attend"] in stats
    assert page.get_by_test_id("exposure-attend").inner_text() == "1"
    assert page.get_by_test_id("exposure-track").inner_text() == "1"
    assert page.get_by_test_id("exposure-overdue").inner_text() == "1"
    assert texts["overdue"] in exposure.locator(".stat.overdue").inner_text()

    # The most critical assets first, with their care unit and translated criticality.
    rows = page.get_by_test_id("exposure-assets").locator("tbody tr")
    assert [rows.nth(i).locator("th").inner_text() for i in range(rows.count())] == [
        "Pompe à perfusion",
        "Serveur PACS",
        "Poste accueil",
    ]
    pump = rows.nth(0).inner_text()
    assert "Réanimation" in pump
    assert texts["vital"] in pump
    assert "9.1" in pump
    assert texts["business"] in rows.nth(1).inner_text()
    assert "Serveur Gamma" not in exposure.inner_text()

    # The most urgent alert first, linking to the centre's page of its CVE.
    urgent = page.get_by_test_id("exposure-urgent").locator("li")
    assert "CVE-2026-4001" in urgent.first.inner_text()
    with page.expect_navigation():
        urgent.first.get_by_role("link", name="CVE-2026-4001").click()
    assert page.url.endswith("/o/centre/exposure/CVE-2026-4001/")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_sector_page_of_a_cve_lists_each_establishment_with_its_assets_and_links(
    page: Any, centre_analyst: Any, exposed: None, language: str
) -> None:
    texts = TEXTS[language]
    _sign_in(page, centre_analyst, language)
    page.goto("/o/centre/exposure/CVE-2026-4001/")

    assert page.get_by_test_id("exposed-count").inner_text() == "2"
    assert texts["affected"] in page.locator(".stats").first.inner_text()
    table = page.get_by_test_id("exposure-detail")
    assert "CH Gamma" not in table.inner_text()  # another centre's establishment
    alpha = page.get_by_test_id("exposure-row-chu-alpha")
    alpha_assets = alpha.get_by_test_id("affected-assets").inner_text()
    assert "Serveur PACS" in alpha_assets
    assert "version 2.4.49" in alpha_assets
    assert "Pompe à perfusion" in alpha_assets
    assert "version 9.1" in alpha_assets
    beta = page.get_by_test_id("exposure-row-clinique-beta")
    assert "version 2.4.1" in beta.get_by_test_id("affected-assets").inner_text()
    assert texts["not_yet"] in beta.inner_text()
    assert beta.get_by_test_id("alert-link").inner_text() == texts["exposure_of_beta"]

    # The establishment's name leads to the centre's page of that establishment.
    with page.expect_navigation():
        beta.get_by_role("link", name="Clinique Beta", exact=True).click()
    assert page.url.endswith("/o/centre/establishments/clinique-beta/")
    assert page.locator("h1").inner_text() == "Clinique Beta"
    assert "Portail" in page.get_by_test_id("exposure-assets").inner_text()

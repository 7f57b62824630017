"""Sightings in a real browser, in French and English: the establishment opens its sighting
from the menu with the keyboard and acknowledges it; its centre sees who saw what, with a chart."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_indicators_browser import _sign_in
from tests.taxii.support import publish
from vigie.intel.models import Sighting, SightingState, Tlp
from vigie.intel.sightings import Report, report_sighting
from vigie.tenancy.access import org_access
from vigie.tenancy.models import Organisation

pytestmark = pytest.mark.browser

TEXTS = {
    "fr": {"menu": "Observations", "ack": "Prendre en compte", "dns": "Requêtes DNS"},
    "en": {"menu": "Sightings", "ack": "Acknowledge", "dns": "DNS queries"},
}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_establishment_acknowledges_its_sighting_and_the_centre_sees_it(
    page: Any,
    browser: Any,
    live_server: Any,
    centre: Organisation,
    a_admin: Any,
    centre_analyst: Any,
    language: str,
) -> None:
    texts = TEXTS[language]
    for user in (a_admin, centre_analyst):
        user.language = language
        user.save()
    publish(centre, Tlp.GREEN, "c2.lockbit.example", tags=["ransomware:lockbit"])
    report_sighting(
        org_access(a_admin, "chu-alpha"),
        Report(type="domain", value="c2.lockbit.example", log_type="dns", count=12),
    )
    _sign_in(page, a_admin, "/o/chu-alpha/")
    page.get_by_role("link", name=texts["menu"], exact=True).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    rows = page.get_by_test_id("sighting-list")
    row = rows.locator("tr[data-sighting='domain:c2.lockbit.example']")
    assert texts["dns"] in row.inner_text()
    assert "12" in row.inner_text()
    row.get_by_role("link").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.get_by_role("button", name=texts["ack"]).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert Sighting.objects.get().state == SightingState.ACKNOWLEDGED

    other = browser.new_context(base_url=live_server.url, locale=language)
    try:
        centre_page = other.new_page()
        _sign_in(centre_page, centre_analyst, "/o/centre/")
        centre_page.goto("/o/centre/intel/sightings/")
        listed = centre_page.get_by_test_id("sighting-list").inner_text()
        assert "CHU Alpha" in listed
        assert centre_page.get_by_test_id("chart-sightings").locator("svg").count() == 1
    finally:
        other.close()

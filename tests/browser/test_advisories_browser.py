"""Advisories in a real browser, in French and English: a centre analyst writes one and
publishes it; an establishment reads it from the menu and acknowledges it with the keyboard;
the centre then sees who acknowledged."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_indicators_browser import _sign_in
from vigie.intel.models import AdvisoryReceipt
from vigie.tenancy.models import Organisation

pytestmark = pytest.mark.browser

TEXTS = {
    "fr": {
        "menu": "Avis",
        "write": "Rédiger un avis",
        "title": "Titre",
        "summary": "Résumé",
        "actions": "Actions recommandées",
        "tlp": "Marquage TLP",
        "save": "Enregistrer une nouvelle version",
        "publish": "Publier la version 1",
        "ack": "Prendre en compte",
        "done": "Pris en compte par",
    },
    "en": {
        "menu": "Advisories",
        "write": "Write an advisory",
        "title": "Title",
        "summary": "Summary",
        "actions": "Recommended actions",
        "tlp": "TLP marking",
        "save": "Save a new version",
        "publish": "Publish version 1",
        "ack": "Acknowledge",
        "done": "Acknowledged by",
    },
}


@pytest.mark.parametrize("language", ["fr", "en"])
def test_centre_publishes_an_advisory_and_the_establishment_acknowledges_it(
    page: Any,
    browser: Any,
    live_server: Any,
    centre_analyst: Any,
    a_admin: Any,
    est_a: Organisation,
    language: str,
) -> None:
    texts = TEXTS[language]
    for user in (centre_analyst, a_admin):
        user.language = language
        user.save()
    _sign_in(page, centre_analyst, "/o/centre/")
    page.get_by_role("link", name=texts["menu"], exact=True).click()
    page.get_by_role("link", name=texts["write"]).click()
    page.get_by_label(texts["title"]).fill("Fortinet FortiOS SSL-VPN: patch today")
    page.get_by_label(texts["summary"]).fill("A heap overflow is exploited.")
    page.get_by_label(texts["actions"]).fill("Upgrade FortiOS now.")
    page.get_by_label(texts["tlp"]).select_option("green")
    page.get_by_role("button", name=texts["save"]).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.get_by_role("button", name=texts["publish"]).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert AdvisoryReceipt.objects.filter(organisation=est_a).count() == 1

    other = browser.new_context(base_url=live_server.url, locale=language)
    try:
        est_page = other.new_page()
        _sign_in(est_page, a_admin, "/o/chu-alpha/")
        est_page.get_by_role("link", name=texts["menu"], exact=True).focus()
        with est_page.expect_navigation():
            est_page.keyboard.press("Enter")
        row = est_page.get_by_test_id("advisory-list").locator("tbody tr").first
        row.get_by_role("link").focus()
        with est_page.expect_navigation():
            est_page.keyboard.press("Enter")
        assert "Upgrade FortiOS now." in est_page.content()
        est_page.get_by_role("button", name=texts["ack"]).focus()
        with est_page.expect_navigation():
            est_page.keyboard.press("Enter")
        assert texts["done"] in est_page.content()
    finally:
        other.close()
    page.reload()
    receipts = page.get_by_test_id("advisory-receipts").inner_text()
    assert "CHU Alpha" in receipts
    assert "Alice Admin" in receipts

"""Declaring an incident in a real browser, on a phone's screen, in French and English: the
form is reached and filled with the keyboard, a time in the future is refused in the reader's
language, and the case shows its deadlines; the centre finds it in its list."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.browser.test_indicators_browser import _sign_in
from vigie.incidents.models import Incident
from vigie.tenancy.models import Organisation

pytestmark = pytest.mark.browser

TEXTS = {
    "fr": {
        "menu": "Incidents",
        "declare": "Déclarer un incident",
        "future": "Cette date est dans le futur.",
        "clocks": "Échéances réglementaires",
        "early": "Alerte précoce NIS2",
    },
    "en": {
        "menu": "Incidents",
        "declare": "Declare an incident",
        "future": "This time is in the future.",
        "clocks": "Regulatory deadlines",
        "early": "NIS2 early warning",
    },
}
PHONE = {"width": 390, "height": 844}


def _local(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_establishment_declares_from_a_phone_and_the_centre_sees_the_case(
    browser: Any,
    live_server: Any,
    est_a: Organisation,
    a_admin: Any,
    centre_analyst: Any,
    language: str,
) -> None:
    texts = TEXTS[language]
    for user in (a_admin, centre_analyst):
        user.language = language
        user.time_zone = "UTC"
        user.save()
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, locale=language)
    page = context.new_page()
    page.set_default_timeout(10_000)
    _sign_in(page, a_admin, "/o/chu-alpha/")
    page.get_by_role("link", name=texts["menu"], exact=True).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.get_by_role("link", name=texts["declare"]).first.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    form = page.get_by_test_id("incident-form")
    form.locator("input[name=title]").fill("Rançongiciel au bloc opératoire")
    form.locator("select[name=category]").select_option("ransomware")
    form.locator("input[name=aware_at]").fill(_local(timezone.now() + timedelta(days=1)))
    form.locator("input[name=degraded_mode]").check()
    form.locator("input[name=transfers_neonatal]").fill("2")
    form.locator("input[name=title]").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert texts["future"] in page.get_by_test_id("incident-form").inner_text()
    assert not Incident.objects.exists()
    # Nothing typed was lost with the refusal.
    assert form.locator("input[name=title]").input_value() == "Rançongiciel au bloc opératoire"
    form.locator("input[name=aware_at]").fill(_local(timezone.now() - timedelta(hours=2)))
    form.locator("input[name=title]").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    incident = Incident.objects.get()
    assert page.url.endswith(f"/o/chu-alpha/incidents/{incident.pk}/")
    clocks = page.get_by_test_id("incident-clocks")
    assert texts["clocks"] in clocks.inner_text()
    assert texts["early"] in clocks.inner_text()
    assert incident.degraded_mode
    assert incident.transfers_neonatal == 2
    # A phone shows the page without sideways scrolling.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, width
    context.close()

    centre = browser.new_context(base_url=live_server.url, locale=language)
    other = centre.new_page()
    other.set_default_timeout(10_000)
    _sign_in(other, centre_analyst, "/o/centre/")
    other.goto("/o/centre/incidents/")
    row = other.locator(f"tr[data-incident='{incident.reference}']")
    assert "CHU Alpha" in row.inner_text()
    centre.close()

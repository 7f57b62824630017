"""A channel's filters edited with the keyboard only, in French then in English, and read back
on the channel list."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import PASSWORD
from vigie.notify.models import Channel
from vigie.tenancy.models import Organisation

pytestmark = pytest.mark.browser


def sign_in(page: Any, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")


def tab_to(page: Any, condition: str, *, limit: int = 80) -> None:
    """Press Tab until `condition` (JavaScript about `el`, the focused element) holds."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return {condition}; }})()"):
            return
    pytest.fail(f"never reached with Tab: {condition}")


def focused_id(id_: str) -> str:
    return f"el.id === {id_!r}"


def test_admin_narrows_a_channel_with_the_keyboard_in_french_and_english(
    page: Any, a_admin: Any, est_a: Organisation
) -> None:
    channel = Channel.objects.get(organisation=est_a)
    sign_in(page, "a.admin")
    page.wait_for_url("**/o/chu-alpha/")
    page.goto("/o/chu-alpha/notifications/")
    row = page.locator(f"tr[data-channel='{channel.pk}']")
    assert row.get_by_test_id("channel-filters").inner_text() == "Toutes les alertes"
    assert page.get_by_role("columnheader", name="Laisse passer").count() == 1

    # From the list to the form, then tick Act, Attend and medical devices, type the unit.
    tab_to(page, f"el.textContent.trim() === {channel.name!r}")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#channel-filters").inner_text() == "Filtres"
    assert page.get_by_label("Unités de soins").count() == 1
    assert "Vide : toutes les unités de soins." in page.locator(
        "#id_care_units_helptext"
    ).inner_text().replace("\u00a0", " ")
    tab_to(page, focused_id("id_priorities_0"))
    assert page.evaluate("document.activeElement.labels[0].textContent") == "Act"
    page.keyboard.press("Space")
    tab_to(page, focused_id("id_priorities_1"))
    page.keyboard.press("Space")
    tab_to(page, focused_id("id_care_units"))
    page.keyboard.type("Réanimation")
    tab_to(page, "el.labels && el.labels[0] && el.labels[0].textContent === 'Dispositif médical'")
    page.keyboard.press("Space")
    tab_to(page, "el.type === 'submit'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url("**/o/chu-alpha/notifications/")
    row = page.locator(f"tr[data-channel='{channel.pk}']")
    assert (
        row.get_by_test_id("channel-filters").inner_text()
        == "Act et Attend · Réanimation · dispositifs médicaux"
    )
    channel.refresh_from_db()
    assert channel.priorities == ["act", "attend"]
    assert channel.care_units == ["Réanimation"]
    assert channel.asset_kinds == ["medical-device"]

    # In English: the same filters, in English words; Attend unticked with the keyboard.
    page.select_option("#language-select", "en")
    page.get_by_test_id("language-submit").click()
    page.wait_for_load_state()
    row = page.locator(f"tr[data-channel='{channel.pk}']")
    assert (
        row.get_by_test_id("channel-filters").inner_text()
        == "Act and Attend · Réanimation · medical devices"
    )
    page.goto(f"/o/chu-alpha/notifications/channels/{channel.pk}/")
    assert page.locator("#channel-filters").inner_text() == "Filters"
    assert page.get_by_label("Care units").input_value() == "Réanimation"
    assert page.locator("#id_priorities_1").is_checked()
    page.focus("#id_name")
    tab_to(page, focused_id("id_priorities_1"))
    assert page.evaluate("document.activeElement.labels[0].textContent") == "Attend"
    page.keyboard.press("Space")
    tab_to(page, "el.labels && el.labels[0] && el.labels[0].textContent === 'Life-sustaining'")
    page.keyboard.press("Space")
    tab_to(page, "el.type === 'submit'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url("**/o/chu-alpha/notifications/")
    row = page.locator(f"tr[data-channel='{channel.pk}']")
    assert (
        row.get_by_test_id("channel-filters").inner_text()
        == "Act · Réanimation · medical devices · criticality: life-sustaining"
    )

"""The centre's operations page in a real browser: reached and read with the keyboard only."""

from __future__ import annotations

from typing import Any

import pytest

from tests.core.test_operations_page import history
from tests.helpers import PASSWORD, add_totp, totp_code

pytestmark = pytest.mark.browser


def test_analyst_reaches_the_operations_page_with_the_keyboard_and_sees_the_dead_worker(
    page: Any, centre_analyst: Any
) -> None:
    history()
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
    # Tab from the top of the page until the navigation link has the focus, then Enter.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Exploitation":
            break
    else:
        pytest.fail("the Operations link is not reachable with Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Exploitation"
    assert page.locator("nav.org-nav [aria-current=page]").inner_text() == "Exploitation"
    killed = page.locator("tr[data-worker=vm-killed]")
    assert "Mort" in killed.inner_text()
    assert "travail rendu" in killed.inner_text()
    assert "morts : 1" in page.get_by_test_id("worker-counts").inner_text()
    assert "deliver_pending" in page.locator("#interrupted-title + p + table").inner_text()

    page.select_option("#language-select", "en")
    page.get_by_test_id("language-submit").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Operations"
    assert "Dead" in page.locator("tr[data-worker=vm-killed]").inner_text()

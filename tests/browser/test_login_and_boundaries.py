"""The pages people use first, in a real browser: login with a second factor, language, tenants."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.helpers import PASSWORD, add_totp, totp_code

pytestmark = pytest.mark.browser


def sign_in_with_keyboard(page: Any, username: str) -> None:
    page.goto("/accounts/login/")
    # The username field has the focus: a keyboard-only user types, tabs and presses Enter.
    # Chromium applies autofocus a frame after load: wait for it, then type.
    expect(page.locator("input[name=username]")).to_be_focused()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")


def test_user_signs_in_with_password_and_authenticator_code(page: Any, a_admin: Any) -> None:
    device = add_totp(a_admin)
    sign_in_with_keyboard(page, "a.admin")
    page.wait_for_url("**/accounts/login/verify/")
    page.get_by_label("Code", exact=False).fill(totp_code(device))
    page.keyboard.press("Enter")
    page.wait_for_url("**/o/chu-alpha/")
    assert page.locator("h1").inner_text() == "CHU Alpha"
    assert page.get_by_test_id("members-count").inner_text() == "1"


def test_wrong_password_is_reported_and_the_user_stays_on_the_login_page(
    page: Any, a_admin: Any
) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", "a.admin")
    page.fill("#id_password", "wrong password")
    page.click("button[type=submit].primary")
    # The click returns before the refused POST is answered: wait for the error to show.
    expect(page.locator(".form-errors")).to_be_visible()
    assert "/accounts/login/" in page.url


def test_centre_user_enrols_an_authenticator_at_first_login(page: Any, centre_analyst: Any) -> None:
    from django_otp.oath import totp

    sign_in_with_keyboard(page, "centre.analyst")
    page.wait_for_url("**/accounts/2fa/setup/")
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.fill("#id_code", f"{totp(key):06d}")
    page.keyboard.press("Enter")
    page.wait_for_url("**/accounts/2fa/backup-codes/")
    assert page.get_by_test_id("backup-codes").locator("li").count() == 10
    page.goto("/")
    page.wait_for_url("**/o/centre/")


def test_language_switch_changes_the_interface_and_is_kept(page: Any, a_admin: Any) -> None:
    page.goto("/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").inner_text() == "Connexion"
    page.select_option("#language-select", "en")
    page.get_by_test_id("language-submit").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Sign in"
    page.reload()
    assert page.locator("h1").inner_text() == "Sign in"
    page.select_option("#language-select", "fr")
    page.get_by_test_id("language-submit").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Connexion"


def test_member_of_b_cannot_see_establishment_a_in_the_interface(
    page: Any, a_admin: Any, b_admin: Any
) -> None:
    sign_in_with_keyboard(page, "b.admin")
    page.wait_for_url("**/o/clinique-beta/")
    assert "CHU Alpha" not in page.content()
    response = page.goto("/o/chu-alpha/members/")
    assert response is not None
    assert response.status == 404
    assert "CHU Alpha" not in page.content()
    assert "a.admin" not in page.content()


def test_skip_link_is_the_first_stop_for_keyboard_users(page: Any, a_admin: Any) -> None:
    # A page without an autofocused field: the first Tab lands on the skip link.
    page.goto("/no-such-page/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert "skip-link" in focused

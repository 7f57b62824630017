"""A forgotten password in a real browser, in French and in English: from the login page to a
new password, through the e-mailed link (real SMTP), then a normal sign-in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers import MailBox, mail_text

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a brand new passphrase for vigie 7"

TEXTS = {
    "fr": {
        "locale": "fr-FR",
        "link": "Mot de passe oublié ?",
        "email": "Adresse électronique de votre compte",
        "send": "Envoyer le lien",
        "sent": "Si un compte utilise",
        "save": "Enregistrer le nouveau mot de passe",
        "changed": "Votre mot de passe a été changé",
        "mail": "Le lien ne fonctionne qu'une fois",
    },
    "en": {
        "locale": "en-GB",
        "link": "Forgotten password?",
        "email": "E-mail address of your account",
        "send": "Send the link",
        "sent": "If an account uses",
        "save": "Save the new password",
        "changed": "Your password was changed",
        "mail": "The link works once",
    },
}


@pytest.fixture(params=["fr", "en"])
def language(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def localised_page(browser: Any, live_server: Any, language: str) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, locale=TEXTS[language]["locale"])
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_user_resets_a_forgotten_password_from_the_login_page(
    localised_page: Any, language: str, make_user: Any, smtp_server: MailBox
) -> None:
    texts = TEXTS[language]
    make_user("forgetful", language=language)
    page = localised_page
    page.goto("/accounts/login/")
    page.get_by_role("link", name=texts["link"]).click()
    page.wait_for_url("**/accounts/password/forgotten/")
    page.get_by_label(texts["email"]).fill("forgetful@example.org")
    page.get_by_role("button", name=texts["send"]).click()
    assert texts["sent"] in page.get_by_test_id("reset-sent").inner_text()

    [message] = smtp_server.wait_for(1)
    body = mail_text(message)
    assert texts["mail"] in body
    match = re.search(r"/accounts/password/reset/[^/\s]+/[^/\s]+/", body)
    assert match, body
    page.goto(match.group(0))
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    page.get_by_role("button", name=texts["save"]).click()
    page.wait_for_url("**/accounts/login/")
    assert texts["changed"] in page.content()

    page.fill("#id_username", "forgetful")
    page.fill("#id_password", NEW_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(re.compile(r".*/$"))
    assert "/accounts/login/" not in page.url

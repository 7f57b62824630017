"""Forgotten password: a single-use, expiring link by e-mail (real SMTP), without revealing
who has an account, rate-limited, audited, and closing the other sessions."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from tests.helpers import PASSWORD, MailBox, add_totp, mail_text, totp_code
from vigie.accounts import password_reset
from vigie.accounts.models import LoginFailure
from vigie.audit.models import Action, AuditEvent

NEW_PASSWORD = "a brand new passphrase for vigie 7"


def ask(client: Client, email: str, **extra: Any) -> Any:
    return client.post("/accounts/password/forgotten/", {"email": email}, **extra)


def reset_link(message: Any) -> str:
    match = re.search(r"/accounts/password/reset/[^/\s]+/[^/\s]+/", mail_text(message))
    assert match, mail_text(message)
    return match.group(0)


def test_login_page_links_to_the_forgotten_password_page(db: Any) -> None:
    page = Client().get("/accounts/login/").content.decode()
    assert 'href="/accounts/password/forgotten/"' in page


def test_known_address_receives_a_link_that_sets_a_new_password_once(
    a_admin: Any, smtp_server: MailBox
) -> None:
    response = ask(Client(), "A.Admin@example.org")
    assert response.status_code == 200
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "A.Admin@example.org"
    link = reset_link(message)
    visitor = Client()
    assert visitor.get(link).status_code == 200
    mismatch = visitor.post(link, {"new_password1": NEW_PASSWORD, "new_password2": "other"})
    assert mismatch.status_code == 200
    done = visitor.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == "/accounts/login/"
    a_admin.refresh_from_db()
    assert a_admin.check_password(NEW_PASSWORD)
    # Single use: the link dies with the old password.
    assert Client().get(link).status_code == 404
    again = Client().post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert again.status_code == 404
    a_admin.refresh_from_db()
    assert a_admin.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action=Action.PASSWORD_RESET, actor=a_admin).count() == 1


def test_unknown_and_known_addresses_get_the_same_answer_and_one_mail_each(
    a_admin: Any, smtp_server: MailBox
) -> None:
    known = ask(Client(), "a.admin@example.org")
    unknown = ask(Client(), "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    known_page = known.content.decode().replace("a.admin@example.org", "ADDRESS")
    unknown_page = unknown.content.decode().replace("nobody@example.org", "ADDRESS")
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"|csrftoken=[^;"]*')
    assert strip.sub("", known_page) == strip.sub("", unknown_page)
    messages = smtp_server.wait_for(2)
    assert sorted(message["To"] for message in messages) == [
        "a.admin@example.org",
        "nobody@example.org",
    ]
    to_nobody = next(m for m in messages if m["To"] == "nobody@example.org")
    assert "/accounts/password/reset/" not in mail_text(to_nobody)
    events = AuditEvent.objects.filter(action=Action.PASSWORD_RESET_REQUESTED)
    assert {event.actor_username for event in events} == {
        "a.admin@example.org",
        "nobody@example.org",
    }


def test_the_mail_follows_the_users_language_preference(
    make_user: Any, smtp_server: MailBox
) -> None:
    make_user("english.user", language="en")
    make_user("french.user", language="fr")
    ask(Client(), "english.user@example.org", HTTP_ACCEPT_LANGUAGE="fr")
    ask(Client(), "french.user@example.org", HTTP_ACCEPT_LANGUAGE="en")
    messages = {m["To"]: mail_text(m) for m in smtp_server.wait_for(2)}
    assert "The link works once and expires in 60 minutes" in messages["english.user@example.org"]
    assert "Le lien ne fonctionne qu'une fois" in messages["french.user@example.org"]


def test_unknown_address_is_answered_in_the_language_of_the_request(
    db: Any, smtp_server: MailBox
) -> None:
    ask(Client(), "nobody@example.org", HTTP_ACCEPT_LANGUAGE="en")
    [message] = smtp_server.wait_for(1)
    assert "no account uses this address" in mail_text(message)


def test_a_link_older_than_an_hour_is_refused(a_admin: Any) -> None:
    parts = password_reset.link_parts(a_admin)
    link = f"/accounts/password/reset/{parts['uidb64']}/{parts['token']}/"
    assert Client().get(link).status_code == 200

    class Later(password_reset.ResetTokenGenerator):
        def _now(self) -> Any:
            from datetime import datetime, timedelta

            return datetime.now() + timedelta(seconds=password_reset.RESET_SECONDS + 5)

    assert not Later().check_token(a_admin, parts["token"])
    assert password_reset.tokens.check_token(a_admin, parts["token"])


def test_forged_links_are_answered_with_a_clear_page(a_admin: Any) -> None:
    for link in (
        "/accounts/password/reset/xx/yy/",
        "/accounts/password/reset/MQ/1-abc/",
        "/accounts/password/reset/%C3%A9/zz-zz/",
    ):
        response = Client().get(link)
        assert response.status_code == 404
        assert "/accounts/password/forgotten/" in response.content.decode()


def test_requests_are_limited_per_address_whether_or_not_an_account_exists(
    a_admin: Any, smtp_server: MailBox
) -> None:
    for address in ("a.admin@example.org", "nobody@example.org"):
        for number in range(3):
            response = ask(Client(REMOTE_ADDR=f"10.0.0.{number + 1}"), address)
            assert response.status_code == 200
        refused = ask(Client(REMOTE_ADDR="10.0.0.9"), address)
        assert refused.status_code == 429
        assert "Trop de demandes" in refused.content.decode()
    assert len(smtp_server.wait_for(6)) == 6


def test_requests_are_limited_per_client_address(db: Any, smtp_server: MailBox) -> None:
    client = Client(REMOTE_ADDR="10.1.1.1")
    for number in range(10):
        assert ask(client, f"person{number}@example.org").status_code == 200
    assert ask(client, "one.more@example.org").status_code == 429
    assert ask(Client(REMOTE_ADDR="10.1.1.2"), "one.more@example.org").status_code == 200


def test_reset_requests_do_not_count_as_failed_logins(a_admin: Any, smtp_server: MailBox) -> None:
    client = Client(REMOTE_ADDR="10.2.2.2")
    for number in range(10):
        ask(client, f"person{number}@example.org")
    response = client.post("/accounts/login/", {"username": "a.admin", "password": PASSWORD})
    assert response.status_code == 302
    assert LoginFailure.objects.filter(stage="reset").count() == 10


def test_malformed_address_gets_one_error_on_the_field(db: Any) -> None:
    response = ask(Client(), "pas une adresse")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('class="error"') == 1
    assert 'id="id_email_error"' in page


def test_reset_closes_other_sessions_and_the_second_factor_still_applies(
    a_admin: Any, client_for: Any, smtp_server: MailBox
) -> None:
    device = add_totp(a_admin)
    elsewhere = client_for(a_admin)
    assert elsewhere.get("/o/chu-alpha/").status_code == 200
    ask(Client(), "a.admin@example.org")
    link = reset_link(smtp_server.wait_for(1)[0])
    Client().post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    # The session opened with the old password is gone.
    closed = elsewhere.get("/o/chu-alpha/")
    assert closed.status_code == 302
    assert closed["Location"].startswith("/accounts/login/")
    browser = Client()
    step = browser.post("/accounts/login/", {"username": "a.admin", "password": NEW_PASSWORD})
    assert step["Location"] == "/accounts/login/verify/"
    assert "_auth_user_id" not in browser.session
    done = browser.post("/accounts/login/verify/", {"code": totp_code(device)})
    assert done.status_code == 302
    assert browser.get("/o/chu-alpha/").status_code == 200

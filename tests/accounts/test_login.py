"""Password login, lock-out, the second factor, and what the audit log keeps of them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, override_settings

from tests.helpers import PASSWORD, add_totp, totp_code
from vigie.audit.models import Action, AuditEvent


def login(client: Client, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def test_establishment_user_without_second_factor_signs_in_with_password(a_admin: Any) -> None:
    client = Client()
    response = login(client, "a.admin")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 302  # to the organisation dashboard
    assert client.get("/o/chu-alpha/").status_code == 200
    assert AuditEvent.objects.filter(action=Action.LOGIN, actor=a_admin).exists()


def test_wrong_password_gives_the_same_message_as_unknown_user(a_admin: Any) -> None:
    wrong = login(Client(), "a.admin", "not the password")
    unknown = login(Client(), "nobody.here", "whatever")
    assert wrong.status_code == unknown.status_code == 200
    message = "Incorrect username or password."
    assert (
        message in wrong.content.decode()
        or "Identifiant ou mot de passe incorrect" in wrong.content.decode()
    )
    assert wrong.content.decode().count("incorrect") == unknown.content.decode().count("incorrect")
    failures = AuditEvent.objects.filter(action=Action.LOGIN_FAILED)
    assert {event.actor_username for event in failures} == {"a.admin", "nobody.here"}


def test_five_failures_lock_the_account_even_with_the_right_password(a_admin: Any) -> None:
    client = Client()
    for _ in range(5):
        login(client, "a.admin", "wrong")
    response = login(client, "a.admin")
    assert response.status_code == 429
    assert AuditEvent.objects.filter(action=Action.LOGIN_LOCKED).count() == 1
    assert "_auth_user_id" not in client.session


def test_lockout_also_applies_to_unknown_usernames(db: Any) -> None:
    client = Client()
    for _ in range(5):
        login(client, "ghost", "wrong")
    assert login(client, "ghost", "wrong").status_code == 429


@override_settings(VIGIE_LOGIN_MAX_FAILURES_PER_IP=3, VIGIE_LOGIN_MAX_FAILURES=100)
def test_many_failures_from_one_address_lock_that_address(a_admin: Any) -> None:
    client = Client(REMOTE_ADDR="10.1.2.3")
    for name in ("u1", "u2", "u3"):
        login(client, name, "wrong")
    assert login(client, "a.admin").status_code == 429
    assert login(Client(REMOTE_ADDR="10.9.9.9"), "a.admin").status_code == 302


def test_successful_login_resets_the_failure_count(a_admin: Any) -> None:
    client = Client()
    for _ in range(4):
        login(client, "a.admin", "wrong")
    assert login(client, "a.admin").status_code == 302
    other = Client()
    for _ in range(4):
        login(other, "a.admin", "wrong")
    assert login(other, "a.admin").status_code == 302


def test_user_with_totp_must_give_a_code_after_the_password(a_admin: Any) -> None:
    device = add_totp(a_admin)
    client = Client()
    response = login(client, "a.admin")
    assert response["Location"] == "/accounts/login/verify/"
    assert client.get("/o/chu-alpha/").status_code == 302  # not signed in yet
    wrong_code = "000000" if totp_code(device) != "000000" else "111111"
    wrong = client.post("/accounts/login/verify/", {"code": wrong_code})
    assert wrong.status_code == 200
    assert AuditEvent.objects.filter(action=Action.OTP_FAILED).count() == 1
    # django-otp makes the next try wait (1 s after one failure): said, not counted as a failure.
    too_soon = client.post("/accounts/login/verify/", {"code": totp_code(device)})
    assert "Wait" in too_soon.content.decode() or "Attendez" in too_soon.content.decode()
    device.refresh_from_db()
    device.throttling_failure_timestamp -= timedelta(seconds=5)
    device.save()
    ok = client.post("/accounts/login/verify/", {"code": totp_code(device)})
    assert ok.status_code == 302
    assert client.get("/o/chu-alpha/").status_code == 200
    event = AuditEvent.objects.get(action=Action.LOGIN, actor=a_admin)
    assert event.details["second_factor"] == "TOTPDevice"


def test_backup_code_signs_in_once(a_admin: Any) -> None:
    from vigie.accounts.two_factor import regenerate_backup_codes

    add_totp(a_admin)
    codes = regenerate_backup_codes(a_admin)
    first = Client()
    login(first, "a.admin")
    assert first.post("/accounts/login/verify/", {"code": codes[0]}).status_code == 302
    second = Client()
    login(second, "a.admin")
    again = second.post("/accounts/login/verify/", {"code": codes[0]})
    assert again.status_code == 200
    assert "_auth_user_id" not in second.session


def test_verify_page_without_a_password_step_sends_back_to_login(db: Any) -> None:
    response = Client().get("/accounts/login/verify/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"


def test_centre_user_is_sent_to_enrolment_until_a_second_factor_is_confirmed(
    centre_analyst: Any,
) -> None:
    client = Client()
    response = login(client, "centre.analyst")
    assert response["Location"] == "/accounts/2fa/setup/"
    blocked = client.get("/o/centre/")
    assert blocked.status_code == 302
    assert blocked["Location"] == "/accounts/2fa/setup/"
    api = client.get("/api/v1/me")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "two_factor_required"
    page = client.get("/accounts/2fa/setup/")
    assert page.status_code == 200
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=centre_analyst, confirmed=False)
    confirmed = client.post("/accounts/2fa/setup/", {"code": totp_code(device)})
    assert confirmed["Location"] == "/accounts/2fa/backup-codes/"
    codes_page = client.get("/accounts/2fa/backup-codes/").content.decode()
    assert codes_page.count("<code>") == 10
    # shown once
    assert client.get("/accounts/2fa/backup-codes/").content.decode().count("<li><code>") == 0
    assert client.get("/o/centre/").status_code == 200
    assert AuditEvent.objects.filter(action=Action.OTP_ENABLED, actor=centre_analyst).exists()


def test_centre_user_cannot_turn_off_the_second_factor(
    centre_analyst: Any, client_for: Any
) -> None:
    client = client_for(centre_analyst)
    client.post("/accounts/2fa/disable/", {"password": PASSWORD})
    from vigie.accounts.two_factor import has_totp

    assert has_totp(centre_analyst)


def test_establishment_user_turns_off_the_second_factor_with_the_password(
    a_admin: Any, client_for: Any
) -> None:
    from vigie.accounts.two_factor import has_totp

    add_totp(a_admin)
    client = client_for(a_admin)
    client.post("/accounts/2fa/disable/", {"password": "wrong"})
    assert has_totp(a_admin)
    client.post("/accounts/2fa/disable/", {"password": PASSWORD})
    assert not has_totp(a_admin)
    assert AuditEvent.objects.filter(action=Action.OTP_DISABLED).exists()


def test_session_that_skipped_the_second_factor_is_closed(a_admin: Any, client_for: Any) -> None:
    add_totp(a_admin)
    client = client_for(a_admin, verified=False)
    response = client.get("/o/chu-alpha/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session


def test_login_applies_the_users_language(a_admin: Any) -> None:
    a_admin.language = "en"
    a_admin.save()
    client = Client()
    response = login(client, "a.admin")
    assert response.cookies["vigie-language"].value == "en"


def test_open_redirect_after_login_is_refused(a_admin: Any) -> None:
    response = Client().post(
        "/accounts/login/",
        {"username": "a.admin", "password": PASSWORD, "next": "https://evil.example/steal"},
    )
    assert response["Location"] == "/"


def test_logout_requires_post_and_is_audited(a_admin: Any, client_for: Any) -> None:
    client = client_for(a_admin)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert AuditEvent.objects.filter(action=Action.LOGOUT, actor=a_admin).exists()


@pytest.mark.parametrize(
    "payload",
    [{}, {"username": "x" * 500, "password": "y"}, {"username": "a", "password": "p" * 5000}],
)
def test_malformed_login_forms_are_answered_not_crashed(db: Any, payload: dict[str, str]) -> None:
    assert Client().post("/accounts/login/", payload).status_code == 200


def test_password_change_is_validated_and_audited(a_admin: Any, client_for: Any) -> None:
    client = client_for(a_admin)
    weak = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"},
    )
    assert weak.status_code == 200
    new = "another long passphrase 2026"
    ok = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert ok.status_code == 302
    a_admin.refresh_from_db()
    assert a_admin.check_password(new)
    assert AuditEvent.objects.filter(action=Action.PASSWORD_CHANGED).exists()

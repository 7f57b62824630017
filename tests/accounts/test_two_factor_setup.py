"""Enrolling an authenticator app: a throttled attempt says when to retry, not that the code is
wrong."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.helpers import totp_code


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", r"Trop d.essais d.affilée.*dans \d+ secondes"),
        ("en", r"Too many attempts in a row.*in \d+ seconds"),
    ],
)
def test_a_correct_code_right_after_wrong_ones_is_told_to_wait_not_to_check_the_phone(
    a_admin: Any, client_for: Any, language: str, expected: str
) -> None:
    client = client_for(a_admin)
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    assert client.get("/accounts/2fa/setup/", **headers).status_code == 200
    device = TOTPDevice.objects.get(user=a_admin, confirmed=False)
    right = totp_code(device)
    wrong = "000000" if right != "000000" else "111111"
    first = client.post("/accounts/2fa/setup/", {"code": wrong}, **headers)
    assert first.status_code == 200
    # More wrong codes, as a hurried person types them: django-otp now holds the device for
    # several seconds, long enough for this test not to depend on its own speed.
    device.refresh_from_db()
    for _ in range(4):
        device.throttle_increment()
    response = client.post("/accounts/2fa/setup/", {"code": right}, **headers)
    page = html.unescape(response.content.decode())
    assert response.status_code == 429
    assert re.search(expected, page, re.S), page
    assert "Check the time" not in page
    assert "heure de votre téléphone" not in page
    device.refresh_from_db()
    assert not device.confirmed


def test_a_correct_first_code_turns_two_factor_on(a_admin: Any, client_for: Any) -> None:
    client = client_for(a_admin)
    client.get("/accounts/2fa/setup/")
    device = TOTPDevice.objects.get(user=a_admin, confirmed=False)
    response = client.post("/accounts/2fa/setup/", {"code": totp_code(device)})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/backup-codes/"
    device.refresh_from_db()
    assert device.confirmed

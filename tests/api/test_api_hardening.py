"""Hostile input found by fuzzing gets a 4xx in the one error format, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.api.test_api_errors import assert_error_shape
from vigie.api.tokens import create_token
from vigie.core.mail import InvalidRecipient, send_templated_mail


@pytest.fixture
def write_headers(a_admin: Any) -> dict[str, str]:
    _token, secret = create_token(user=a_admin, name="t", scope="write")
    return {"Authorization": f"Bearer {secret}"}


HUGE = "99999999999999999999999"


@pytest.mark.parametrize("query", [f"page={HUGE}", f"page=-{HUGE}", "page=0", "page_size=0"])
def test_page_numbers_beyond_64_bits_are_a_field_error(
    write_headers: dict[str, str], query: str
) -> None:
    for path in (
        "/api/v1/organisations",
        "/api/v1/tokens",
        "/api/v1/organisations/chu-alpha/assets",
    ):
        response = Client().get(f"{path}?{query}", headers=write_headers)
        error = assert_error_shape(response, 422)
        assert set(error["fields"]) & {"page", "page_size"}, error


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/organisations/chu-alpha/assets/{HUGE}",
        f"/api/v1/organisations/chu-alpha/alerts/{HUGE}",
        f"/api/v1/organisations/chu-alpha/members/{HUGE}",
    ],
)
def test_identifiers_beyond_64_bits_are_not_a_500(write_headers: dict[str, str], path: str) -> None:
    method = "patch" if path.endswith(HUGE) and "/members/" in path else "get"
    response = getattr(Client(), method)(
        path, data={"role": "viewer"}, content_type="application/json", headers=write_headers
    )
    assert response.status_code in (404, 422), response.content
    assert_error_shape(response, response.status_code)


@pytest.mark.parametrize(
    "email",
    [
        "jéróme@example.org",
        "x@xn--a.example",
        "x@" + "a" * 64 + ".example",
        "x@exa\u0000mple.org",
        "x@example.org\r\nBcc: victim@example.org",
        "x\n@example.org",
        "a" * 300 + "@example.org",
        "x@exämple.org\u200b",
        '"x y"@example.org',
    ],
)
def test_hostile_invitation_addresses_are_a_field_error(
    write_headers: dict[str, str], email: str, mailoutbox: Any
) -> None:
    response = Client().post(
        "/api/v1/organisations/chu-alpha/invitations",
        data={"email": email, "role": "viewer"},
        content_type="application/json",
        headers=write_headers,
    )
    error = assert_error_shape(response, 422)
    assert "email" in error["fields"]
    assert mailoutbox == []


def test_a_huge_page_size_is_lowered_to_the_maximum(write_headers: dict[str, str]) -> None:
    response = Client().get(f"/api/v1/tokens?page_size={HUGE}", headers=write_headers)
    assert response.status_code == 200


def test_an_internationalised_domain_is_accepted_and_mailed(
    write_headers: dict[str, str], mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/api/v1/organisations/chu-alpha/invitations",
            data={"email": "dr.martin@hôpital.example", "role": "viewer"},
            content_type="application/json",
            headers=write_headers,
        )
    assert response.status_code == 201, response.content
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=zz"],
)
def test_multipart_without_a_usable_boundary_is_a_400(
    write_headers: dict[str, str], content_type: str
) -> None:
    for path in (
        "/api/v1/organisations/chu-alpha/inventory/imports",
        "/api/v1/tokens",
        "/api/v1/organisations/chu-alpha/invitations",
    ):
        response = Client().generic(
            "POST", path, data=b"garbage\r\n--zz", content_type=content_type, headers=write_headers
        )
        assert response.status_code in (400, 415, 422), (path, content_type, response.content)
        assert_error_shape(response, response.status_code)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"name": ', "application/json"),
        (b"\xff\xfe", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"name=x", "text/plain"),
    ],
)
def test_malformed_bodies_are_a_4xx(
    write_headers: dict[str, str], body: bytes, content_type: str
) -> None:
    for path in ("/api/v1/tokens", "/api/v1/organisations/chu-alpha/inventory/imports"):
        response = Client().generic(
            "POST", path, data=body, content_type=content_type, headers=write_headers
        )
        assert 400 <= response.status_code < 500, (path, body, response.content)
        assert_error_shape(response, response.status_code)


def test_multipart_without_a_boundary_outside_the_api_is_a_400(db: Any) -> None:
    response = Client().generic(
        "POST", "/accounts/login/", data=b"garbage", content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "Traceback" not in response.content.decode()


@pytest.mark.parametrize(
    "address",
    [
        "jéróme@example.org",
        "x@xn--a.example",
        "x@example.org\r\nBcc: victim@example.org",
        "x@" + "a" * 64 + ".example",
        "a" * 300 + "@example.org",
    ],
)
def test_the_mail_layer_refuses_unsendable_addresses_clearly(address: str, mailoutbox: Any) -> None:
    with pytest.raises(InvalidRecipient) as caught:
        send_templated_mail(
            "tenancy/mail/invitation",
            {"organisation": None, "inviter": None, "role": "", "token": "t", "days": 7},
            [address],
            "fr",
        )
    # The address is quoted in the message: no raw CR/LF reaches a log line.
    assert "\r" not in str(caught.value)
    assert "\n" not in str(caught.value)
    assert caught.value.address == address
    assert mailoutbox == []

"""One error format, correct status codes, never a traceback."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

from vigie.api.tokens import create_token


@pytest.fixture
def write_headers(a_admin: Any) -> dict[str, str]:
    _token, secret = create_token(user=a_admin, name="t", scope="write")
    return {"Authorization": f"Bearer {secret}"}


def assert_error_shape(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert "Traceback" not in response.content.decode()
    return dict(body["error"])


def test_invalid_fields_are_named(write_headers: dict[str, str]) -> None:
    response = Client().post(
        "/api/v1/organisations/chu-alpha/invitations",
        data={"email": "not an email", "role": 42},
        content_type="application/json",
        headers=write_headers,
    )
    error = assert_error_shape(response, 422)
    assert "email" in error["fields"]


def test_unknown_role_is_a_field_error(write_headers: dict[str, str]) -> None:
    response = Client().post(
        "/api/v1/organisations/chu-alpha/invitations",
        data={"email": "x@example.org", "role": "emperor"},
        content_type="application/json",
        headers=write_headers,
    )
    error = assert_error_shape(response, 422)
    assert "role" in error["fields"]


def test_malformed_json_is_a_clear_error(write_headers: dict[str, str]) -> None:
    response = Client().post(
        "/api/v1/organisations/chu-alpha/invitations",
        data=b'{"email": ',
        content_type="application/json",
        headers=write_headers,
    )
    assert response.status_code in (400, 422)
    assert_error_shape(response, response.status_code)


def test_wrong_content_type_is_refused(write_headers: dict[str, str]) -> None:
    response = Client().post(
        "/api/v1/organisations/chu-alpha/invitations",
        data="email=x@example.org&role=viewer",
        content_type="application/x-www-form-urlencoded",
        headers=write_headers,
    )
    assert_error_shape(response, 415)


def test_unknown_endpoint_and_wrong_method(write_headers: dict[str, str]) -> None:
    assert_error_shape(Client().get("/api/v1/nothing-here", headers=write_headers), 404)
    assert_error_shape(Client().put("/api/v1/me", headers=write_headers), 405)


@override_settings(VIGIE_MAX_REQUEST_BYTES=1000)
def test_oversized_request_gets_413(write_headers: dict[str, str]) -> None:
    response = Client().post(
        "/api/v1/tokens",
        data={"name": "x" * 5000},
        content_type="application/json",
        headers=write_headers,
    )
    assert_error_shape(response, 413)


def test_wrong_types_in_query_are_field_errors(write_headers: dict[str, str]) -> None:
    response = Client().get("/api/v1/organisations?page=zero", headers=write_headers)
    error = assert_error_shape(response, 422)
    assert "page" in error["fields"]


def test_errors_are_in_the_requested_language(a_admin: Any) -> None:
    response = Client().get("/api/v1/me", headers={"Accept-Language": "fr"})
    message = assert_error_shape(response, 401)["message"]
    assert "jeton" in message.lower()


def test_openapi_schema_is_published(db: Any) -> None:
    response = Client().get("/api/v1/schema/")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Vigie Santé API"
    assert "/api/v1/organisations/{slug}/members" in schema["paths"]
    assert (
        "BearerAuth" in str(schema["components"]["securitySchemes"])
        or schema["components"]["securitySchemes"]
    )


def test_paginated_lists_say_how_many_there_are(
    write_headers: dict[str, str], a_viewer: Any
) -> None:
    response = Client().get(
        "/api/v1/organisations/chu-alpha/members?page_size=1", headers=write_headers
    )
    body = response.json()
    assert body["count"] == 2
    assert len(body["items"]) == 1

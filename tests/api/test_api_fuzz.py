"""Schema-driven fuzzing: every operation answers any input with a 2xx, or a 4xx in the one
error format; never a 5xx. Bounded (few examples, in-process WSGI) so that it stays fast."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from vigie.api.tokens import create_token
from vigie.api.v1 import api

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
# Requests go straight to Django's WSGI handler in this process: no server, no network.
schema.app = WSGIHandler()
# Negative examples too (values outside the schema: huge integers, wrong types, bad bodies).
schema.config.generation.update(modes=list(schemathesis.GenerationMode))


@pytest.fixture(autouse=True)
def keep_the_test_connection() -> Iterator[None]:
    # As Django's test client does: the handler's signals would close the database connection
    # after each request, and with it the test's transaction (PostgreSQL then refuses the next
    # query with "the connection is closed").
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_headers(a_admin: Any) -> dict[str, str]:
    # A read-write token of an establishment administrator: requests get past authentication
    # and the role checks, into the code that handles their parameters and bodies.
    _token, secret = create_token(user=a_admin, name="fuzz", scope="write")
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_hostile_input_without_a_server_error(
    case: Any, fuzz_headers: dict[str, str]
) -> None:
    # Random organisation names would only ever meet a 404: aim at the fixture's establishment.
    if case.path_parameters and "slug" in case.path_parameters:
        case.path_parameters["slug"] = "chu-alpha"
    response = case.call(headers=fuzz_headers)
    detail = f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
    assert response.status_code < 500, detail
    documented = case.operation.definition.raw.get("responses", {})
    # A 4xx the operation documents with its own schema (an import's 422 report) is an answer,
    # not an error; every other 4xx is in the one error format.
    if response.status_code >= 400 and str(response.status_code) not in documented:
        body = response.json()
        assert set(body) == {"error"}, detail
        assert set(body["error"]) == {"code", "message", "fields"}, detail
        assert "Traceback" not in response.text, detail

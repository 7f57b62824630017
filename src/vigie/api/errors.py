"""Every API error has one shape: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from vigie.core.errors import error_body

logger = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
}


def json_error(
    status: int, message: str, fields: dict[str, list[str]] | None = None, code: str | None = None
) -> HttpResponse:
    response = JsonResponse(
        error_body(code or _CODES.get(status, "error"), message, fields), status=status
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="vigie"'
    return response


def _field_name(location: list[Any]) -> str:
    # pydantic locations look like ["body", "payload", "email"]; people want "email".
    parts = [str(part) for part in location if part not in ("body", "query", "path", "payload")]
    return ".".join(parts) or "request"


def install(api: NinjaAPI) -> None:
    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        for error in exc.errors:
            fields.setdefault(_field_name(list(error.get("loc", []))), []).append(
                str(error.get("msg", _("Invalid value.")))
            )
        return json_error(422, _("Some fields are invalid."), fields)

    @api.exception_handler(DjangoValidationError)
    def invalid_django(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            fields = {name: [str(m) for m in errs] for name, errs in exc.message_dict.items()}
            message = _("Some fields are invalid.")
        else:
            fields = {}
            message = " ".join(exc.messages)
        return json_error(422, message, fields)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        message = (
            exc.message
            if exc.message != "Unauthorized"
            else _("Authentication required: send an API token as 'Authorization: Bearer <token>'.")
        )
        return json_error(401, str(message))

    @api.exception_handler(AuthorizationError)
    def unauthorised(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        return json_error(403, str(exc.message), code="insufficient_scope")

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return json_error(exc.status_code, str(exc.message))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return json_error(404, _("Not found."))

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return json_error(403, _("Your role does not allow this."))

    # Django answers these with 400 outside the API; ninja would let them reach the catch-all
    # below and answer 500. They are the client's fault: a malformed or truncated body.
    @api.exception_handler(MultiPartParserError)
    def bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
        return json_error(
            400,
            _("The multipart/form-data body is malformed (is its boundary missing?)."),
            {"request": [str(exc)]},
        )

    @api.exception_handler(UnreadablePostError)
    def unreadable(request: HttpRequest, exc: UnreadablePostError) -> HttpResponse:
        return json_error(400, _("The request body could not be read."))

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return json_error(413, _("The request is too large."))

    @api.exception_handler(TooManyFieldsSent)
    def too_many_fields(request: HttpRequest, exc: TooManyFieldsSent) -> HttpResponse:
        return json_error(400, _("The request has too many fields."))

    @api.exception_handler(TooManyFilesSent)
    def too_many_files(request: HttpRequest, exc: TooManyFilesSent) -> HttpResponse:
        return json_error(400, _("The request has too many files."))

    @api.exception_handler(SuspiciousOperation)
    def suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        return json_error(400, _("The request could not be handled."))

    @api.exception_handler(BadRequest)
    def bad_request(request: HttpRequest, exc: BadRequest) -> HttpResponse:
        return json_error(400, _("The request could not be handled."))

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        # The one place where any exception is caught: it is logged with its traceback, and the
        # client gets the error format without internals.
        logger.exception("API request failed", extra={"path": request.path})
        return json_error(
            500, _("Internal error. It was logged; try again later."), code="internal"
        )

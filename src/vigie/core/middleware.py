"""Request-level protections shared by the UI and the API."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from vigie.core.errors import error_response
from vigie.core.logging import request_id_var

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Tag each request (and its log lines) with an id, reusing a sane X-Request-ID from a proxy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else secrets.token_hex(8)
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestSizeLimitMiddleware:
    """Refuse oversized bodies with 413 before anything reads them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = request.META.get("CONTENT_LENGTH") or "0"
        try:
            size = int(length)
        except ValueError:
            return error_response(request, 400, "bad_request", _("Invalid Content-Length header."))
        if size < 0:
            return error_response(request, 400, "bad_request", _("Invalid Content-Length header."))
        if size > settings.VIGIE_MAX_REQUEST_BYTES:
            limit_mb = settings.VIGIE_MAX_REQUEST_BYTES // (1024 * 1024)
            return error_response(
                request,
                413,
                "too_large",
                _("The request is too large (limit: %(limit)s MB).") % {"limit": limit_mb},
            )
        return self.get_response(request)


# JSON for everything; multipart only for endpoints that take a file (inventory imports).
ACCEPTED_TYPES = ("application/json", "application/merge-patch+json", "multipart/form-data")
BODY_METHODS = {"POST", "PUT", "PATCH"}


class ApiEnvelopeMiddleware:
    """API requests carry JSON, and every API error answers in the one error format.

    Django itself answers some errors before the API code runs (405 from the URL dispatcher,
    400 for a bad Host); those are rewritten here so clients never get an HTML page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        if request.method in BODY_METHODS and request.META.get("CONTENT_LENGTH", "0") not in (
            "",
            "0",
        ):
            content_type = request.content_type or ""
            if content_type not in ACCEPTED_TYPES:
                return error_response(
                    request,
                    415,
                    "unsupported_media_type",
                    _("Send the request body as JSON (Content-Type: application/json)."),
                )
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            if response.status_code == 405:
                message = _("This method is not allowed here.")
                code = "method_not_allowed"
            else:
                message = _("The request could not be handled.")
                code = "error"
            rewritten = error_response(request, response.status_code, code, message)
            if response.has_header("Allow"):
                rewritten["Allow"] = response["Allow"]
            return rewritten
        return response

"""One way to answer an error: JSON `{"error": {...}}` for API clients, a page for people."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise

API_PREFIXES = ("/api/", "/taxii2/")


def wants_json(request: HttpRequest) -> bool:
    if request.path.startswith(API_PREFIXES) or request.path == "/healthz":
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_body(
    code: str, message: str, fields: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def error_response(
    request: HttpRequest,
    status: int,
    code: str,
    message: str | Promise,
    fields: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    # Errors may be answered before LocaleMiddleware runs: pick the language here.
    language = translation.get_language_from_request(request)
    with translation.override(language):
        text = str(message)
        if wants_json(request):
            response: HttpResponse = JsonResponse(error_body(code, text, fields), status=status)
        else:
            html = render_to_string(
                "errors/error.html",
                {"status": status, "code": code, "message": text},
                request=request,
            )
            response = HttpResponse(html, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response

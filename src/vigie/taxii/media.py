"""TAXII 2.1 media types, content negotiation and error messages (TAXII 2.1, 1.6.8 and 3.6)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
_TAXII_BARE = "application/taxii+json"
_STIX_BARE = "application/stix+json"


def _media_ranges(header: str) -> list[tuple[str, str | None]]:
    ranges = []
    for part in header.split(","):
        pieces = [piece.strip() for piece in part.split(";")]
        media = pieces[0].lower()
        version = None
        for parameter in pieces[1:]:
            name, _sep, value = parameter.partition("=")
            if name.strip().lower() == "version":
                version = value.strip().strip('"')
        if media:
            ranges.append((media, version))
    return ranges


def accepts_taxii(request: HttpRequest) -> bool:
    """Whether the client accepts TAXII 2.1 JSON; a missing Accept header accepts anything."""
    header = request.headers.get("Accept", "").strip()
    if not header:
        return True
    for media, version in _media_ranges(header):
        if media in ("*/*", "application/*"):
            return True
        if media in (_TAXII_BARE, _STIX_BARE) and version in (None, "2.1"):
            return True
    return False


def is_taxii_content(request: HttpRequest) -> bool:
    """Whether a request body is declared as TAXII 2.1 (POST of objects)."""
    ranges = _media_ranges(request.headers.get("Content-Type", ""))
    return bool(ranges) and ranges[0][0] == _TAXII_BARE and ranges[0][1] in (None, "2.1")


def taxii_response(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status=status,
        content_type=TAXII_MEDIA_TYPE,
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(status: int, title: str, description: str = "") -> HttpResponse:
    """A TAXII error message: title, description and the HTTP status as a string."""
    body: dict[str, Any] = {"title": title, "http_status": str(status)}
    if description:
        body["description"] = description
    response = taxii_response(body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="Vigie TAXII", Bearer realm="Vigie TAXII"'
    return response

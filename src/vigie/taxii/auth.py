"""Who is calling: HTTP Basic (username and API token) or `Authorization: Bearer <token>`.

TAXII clients carry no session and no CSRF token, so the browser session is never used here;
a token is the only credential, and its scope decides whether the caller may add objects.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from vigie.api.models import ApiToken, Scope
from vigie.api.tokens import TokenRejected, authenticate_token
from vigie.core.net import client_ip


@dataclass(frozen=True, slots=True)
class Caller:
    user: Any
    token: ApiToken

    @property
    def may_write(self) -> bool:
        return self.token.scope == Scope.WRITE


class NotAuthenticated(Exception):
    """No usable credential; `reason` is missing, invalid, expired or revoked."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _basic_credentials(value: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise NotAuthenticated("invalid") from None
    username, separator, password = decoded.partition(":")
    if not separator:
        raise NotAuthenticated("invalid")
    return username, password


def authenticate(request: HttpRequest) -> Caller:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "basic":
        username, secret = _basic_credentials(value)
    elif scheme in ("bearer", "token") and value.strip():
        username, secret = "", value.strip()
    else:
        raise NotAuthenticated("missing")
    try:
        token = authenticate_token(secret, client_ip(request))
    except TokenRejected as rejected:
        raise NotAuthenticated(rejected.reason) from None
    user = token.user
    # With Basic, the username must be the token owner's (username or e-mail, any case).
    if scheme == "basic" and username.casefold() not in {
        user.get_username().casefold(),
        (user.email or "").casefold(),
    }:
        raise NotAuthenticated("invalid")
    return Caller(user=user, token=token)

"""API authentication: personal tokens (`Authorization: Bearer …` or `Token …`) or the session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, AuthorizationError
from ninja.security import SessionAuth
from ninja.security.http import HttpAuthBase

from vigie.api.models import ApiToken, Scope
from vigie.api.tokens import TokenRejected, authenticate_token
from vigie.core.net import client_ip

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
TOKEN_SCHEMES = {"bearer", "token"}


def _rejection_message(reason: str) -> str:
    if reason == "revoked":
        return _("This API token was revoked.")
    if reason == "expired":
        return _("This API token has expired.")
    return _("Invalid API token.")


def enforce_scope(request: HttpRequest, token: ApiToken) -> None:
    if request.method not in SAFE_METHODS and token.scope != Scope.WRITE:
        raise AuthorizationError(
            403, _("This token is read-only; use a read-write token for this request.")
        )


def header_token(request: HttpRequest) -> ApiToken | None:
    """The API token of an `Authorization: Bearer <secret>` (or `Token`) header.

    None when there is no such header or it names another scheme; raises TokenRejected for a
    secret that is unknown, revoked or expired.
    """
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() not in TOKEN_SCHEMES or not value.strip():
        return None
    return authenticate_token(value.strip(), client_ip(request))


class TokenAuth(HttpAuthBase):
    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> Any | None:
        try:
            token = header_token(request)
        except TokenRejected as rejected:
            raise AuthenticationError(401, _rejection_message(rejected.reason)) from None
        if token is None:
            return None
        enforce_scope(request, token)
        # Downstream code (access helpers, actions) reads the user from the request; ninja keeps
        # what we return as `request.auth`, which tells token requests from session ones.
        request.user = token.user
        return token


class VerifiedSessionAuth(SessionAuth):
    """The browser session, CSRF-checked, for people trying the API from its docs page."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any | None:
        user = request.user
        if user.is_authenticated and getattr(user, "is_active", False):
            return user
        return None


def current_token(request: HttpRequest) -> ApiToken | None:
    token = getattr(request, "auth", None)
    return token if isinstance(token, ApiToken) else None

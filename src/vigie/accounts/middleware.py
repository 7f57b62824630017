"""Enforce the second factor for signed-in sessions.

A session opened without a second factor is sent to enrolment when the user's role requires one
(support centre roles), and closed if the user has a device but the session never used it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from vigie.accounts import two_factor
from vigie.accounts.zones import reading_as
from vigie.core.errors import API_PREFIXES, error_response
from vigie.tenancy.access import requires_two_factor

# What a user who must enrol may still reach.
ENROLMENT_URL_NAMES = {
    "accounts:two_factor_setup",
    "accounts:backup_codes",
    "accounts:logout",
    "set_language",
    "healthz",
}


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        # OTPMiddleware (which runs first) gives the user `is_verified`.
        if not user.is_authenticated or getattr(user, "is_verified", bool)():
            return self.get_response(request)
        if request.path.startswith("/static/"):
            return self.get_response(request)
        if two_factor.has_totp(user):
            # A device exists but this session never proved it: start again.
            logout(request)
            return redirect("accounts:login")
        if requires_two_factor(user):
            try:
                name = resolve(request.path_info).view_name
            except Resolver404:
                name = ""
            if name in ENROLMENT_URL_NAMES:
                return self.get_response(request)
            if request.path.startswith(API_PREFIXES):
                return error_response(
                    request,
                    403,
                    "two_factor_required",
                    _("Set up two-factor authentication before using the API from a browser."),
                )
            return redirect("accounts:two_factor_setup")
        return self.get_response(request)


class UserTimeZoneMiddleware:
    """Pages show dates in the signed-in user's time zone (accounts.zones), else the platform's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            with reading_as(user):
                return self.get_response(request)
        return self.get_response(request)

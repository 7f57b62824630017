"""Login with lock-out and a second factor; enrolment; password, profile and language."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from vigie.accounts import actions, throttle, two_factor
from vigie.accounts import password_reset as reset_links
from vigie.accounts.forms import (
    ConfirmTotpForm,
    ForgotPasswordForm,
    LoginForm,
    PasswordConfirmForm,
    ProfileForm,
    SecondFactorForm,
)
from vigie.accounts.models import User, signed_in_user
from vigie.core.net import client_ip
from vigie.tenancy.access import memberships_of, requires_two_factor

PENDING_USER = "vigie_pending_user"
PENDING_SINCE = "vigie_pending_since"
PENDING_NEXT = "vigie_pending_next"
PENDING_SECONDS = 300
BACKUP_CODES = "vigie_backup_codes"


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home")


def _with_language(response: HttpResponse, user: User) -> HttpResponse:
    """People get the language they chose, whichever browser they log in from."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        user.language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.VIGIE_HTTPS,
    )
    return response


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated:
        return redirect(next_url)
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        minutes = throttle.lockout_minutes_left(username, client_ip(request))
        if minutes:
            actions.record_locked_out(request, username)
            form.add_error(
                None,
                _("Too many failed attempts. Try again in %(minutes)d minutes.")
                % {"minutes": minutes},
            )
            status = 429
        else:
            user = authenticate(request, username=username, password=form.cleaned_data["password"])
            if user is None:
                actions.record_failed_login(request, username, "password")
                form.add_error(None, _("Incorrect username or password."))
            elif two_factor.confirmed_devices(user):
                request.session.cycle_key()
                request.session[PENDING_USER] = user.pk
                request.session[PENDING_SINCE] = int(time.time())
                request.session[PENDING_NEXT] = next_url
                return redirect("accounts:verify")
            else:
                actions.complete_login(request, user, None)
                if requires_two_factor(user):
                    return _with_language(redirect("accounts:two_factor_setup"), user)
                return _with_language(redirect(next_url), user)
    return render(request, "accounts/login.html", {"form": form, "next": next_url}, status=status)


def _pending_user(request: HttpRequest) -> User | None:
    user_id = request.session.get(PENDING_USER)
    since = request.session.get(PENDING_SINCE, 0)
    if not user_id or time.time() - since > PENDING_SECONDS:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def verify_view(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        messages.info(request, _("Your sign-in expired. Enter your password again."))
        return redirect("accounts:login")
    form = SecondFactorForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        minutes = throttle.lockout_minutes_left(user.get_username(), client_ip(request))
        if minutes:
            actions.record_locked_out(request, user.get_username())
            form.add_error(
                None,
                _("Too many failed attempts. Try again in %(minutes)d minutes.")
                % {"minutes": minutes},
            )
            status = 429
        else:
            wait = two_factor.seconds_until_next_try(user)
            device = (
                None if wait else two_factor.match_second_factor(user, form.cleaned_data["code"])
            )
            if wait:
                form.add_error(
                    "code",
                    _("Wait %(seconds)d seconds before trying another code.") % {"seconds": wait},
                )
            elif device is None:
                actions.record_failed_login(request, user.get_username(), "otp")
                form.add_error("code", _("This code is not valid. Check the time on your phone."))
            else:
                next_url = request.session.get(PENDING_NEXT) or reverse("home")
                for key in (PENDING_USER, PENDING_SINCE, PENDING_NEXT):
                    request.session.pop(key, None)
                actions.complete_login(request, user, device)
                return _with_language(redirect(safe_next(request, next_url)), user)
    return render(request, "accounts/verify.html", {"form": form}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        actions.logged_out(request, request.user)
    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect("accounts:login")


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    device = two_factor.pending_totp_device(user)
    form = ConfirmTotpForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        wait = two_factor.seconds_until_device_try(device)
        codes = (
            None if wait else actions.confirm_totp(request, user, device, form.cleaned_data["code"])
        )
        if wait:
            form.add_error(
                "code",
                _("Too many attempts in a row. Enter the code shown by the app %(when)s.")
                % {"when": throttle.retry_in_words(wait)},
            )
            status = 429
        elif codes is not None:
            request.session[BACKUP_CODES] = codes
            messages.success(request, _("Two-factor authentication is on."))
            return redirect("accounts:backup_codes")
        else:
            form.add_error("code", _("This code is not valid. Check the time on your phone."))
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr": two_factor.qr_data_uri(device),
            "secret": two_factor.secret_for_display(device),
            "required": requires_two_factor(user),
            "already": two_factor.has_totp(user),
        },
        status=status,
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def backup_codes(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = PasswordConfirmForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        request.session[BACKUP_CODES] = actions.regenerate_backup_codes(request, user)
        return redirect("accounts:backup_codes")
    # Codes are shown once: taken out of the session as they are displayed.
    codes = request.session.pop(BACKUP_CODES, None)
    return render(
        request,
        "accounts/backup_codes.html",
        {"codes": codes, "form": form, "has_totp": two_factor.has_totp(user)},
    )


@login_required
@require_POST
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if requires_two_factor(user):
        messages.error(
            request, _("Your role at the support centre requires two-factor authentication.")
        )
        return redirect("accounts:profile")
    form = PasswordConfirmForm(user, request.POST)
    if form.is_valid():
        actions.disable_two_factor(request, user)
        messages.success(request, _("Two-factor authentication is off."))
    else:
        messages.error(request, _("This is not your password."))
    return redirect("accounts:profile")


@sensitive_post_parameters()
@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        update_session_auth_hash(request, form.user)
        actions.password_changed(request, user)
        messages.success(request, _("Your password was changed."))
        return redirect("accounts:profile")
    return render(request, "accounts/password_change.html", {"form": form})


@sensitive_post_parameters("email")
@never_cache
@require_http_methods(["GET", "POST"])
def password_forgotten(request: HttpRequest) -> HttpResponse:
    form = ForgotPasswordForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        minutes = throttle.reset_minutes_left(email, client_ip(request))
        if minutes:
            form.add_error(
                None,
                _("Too many requests. Try again %(when)s.")
                % {"when": throttle.retry_in_words(minutes * 60)},
            )
            status = 429
        else:
            actions.request_password_reset(request, email)
            # The same answer whether or not an account exists: no one learns who has one.
            return render(request, "accounts/password_forgotten_sent.html", {"email": email})
    return render(request, "accounts/password_forgotten.html", {"form": form}, status=status)


@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    user = reset_links.user_for_link(uidb64, token)
    if user is None:
        return render(request, "accounts/password_reset_invalid.html", status=404)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.reset_password(request, user, form.cleaned_data["new_password1"])
        if request.user.is_authenticated:
            logout(request)
        messages.success(request, _("Your password was changed. Sign in with the new one."))
        return redirect("accounts:login")
    return render(request, "accounts/password_reset.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile was saved."))
        return _with_language(redirect("accounts:profile"), user)
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "memberships": memberships_of(user),
            "has_totp": two_factor.has_totp(user),
            "two_factor_required": requires_two_factor(user),
            "disable_form": PasswordConfirmForm(user),
        },
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch language; signed-in users keep the choice in their profile."""
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(safe_next(request, request.POST.get("next")))
    if not check_for_language(language) or language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated:
        User.objects.filter(pk=request.user.pk).update(language=language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.VIGIE_HTTPS,
    )
    return response

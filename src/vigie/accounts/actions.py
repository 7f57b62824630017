"""Account actions: each one owns its transaction and its audit entry."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import login as django_login
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import get_language
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from vigie.accounts import password_reset, throttle, two_factor
from vigie.accounts.models import User
from vigie.audit.log import record
from vigie.audit.models import Action
from vigie.core.mail import send_templated_mail
from vigie.core.net import client_ip


def record_failed_login(request: HttpRequest, username: str, stage: str) -> None:
    with transaction.atomic():
        throttle.register_failure(username, client_ip(request), stage)
        record(
            Action.OTP_FAILED if stage == "otp" else Action.LOGIN_FAILED,
            request=request,
            username=throttle.normalise_username(username),
            details={"stage": stage},
        )


def record_locked_out(request: HttpRequest, username: str) -> None:
    record(Action.LOGIN_LOCKED, request=request, username=throttle.normalise_username(username))


def complete_login(request: HttpRequest, user: Any, device: Any | None) -> None:
    """Open the session (after the second factor when there is one) and log it."""
    with transaction.atomic():
        django_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if device is not None:
            otp_login(request, device)
        throttle.clear_failures(user.get_username())
        record(
            Action.LOGIN,
            actor=user,
            request=request,
            details={"second_factor": type(device).__name__ if device is not None else "none"},
        )


def confirm_totp(
    request: HttpRequest, user: Any, device: TOTPDevice, code: str
) -> list[str] | None:
    """Confirm an enrolment with a first code; returns the new backup codes, or None."""
    if not device.verify_token("".join(code.split())):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = two_factor.regenerate_backup_codes(user)
        record(Action.OTP_ENABLED, actor=user, request=request)
    otp_login(request, device)
    return codes


def regenerate_backup_codes(request: HttpRequest, user: Any) -> list[str]:
    with transaction.atomic():
        codes = two_factor.regenerate_backup_codes(user)
        record(Action.BACKUP_CODES, actor=user, request=request)
    return codes


def disable_two_factor(request: HttpRequest, user: Any) -> None:
    with transaction.atomic():
        two_factor.remove_all_devices(user)
        record(Action.OTP_DISABLED, actor=user, request=request)


def password_changed(request: HttpRequest, user: Any) -> None:
    record(Action.PASSWORD_CHANGED, actor=user, request=request)


def logged_out(request: HttpRequest, user: Any) -> None:
    record(Action.LOGOUT, actor=user, request=request)


def request_password_reset(request: HttpRequest, email: str) -> None:
    """E-mail a reset link to the accounts with this address, or say that there is none.

    Both cases send one e-mail the same way, after the same database work, so that neither the
    page nor the time it takes tells whether an account exists.
    """
    email = email.strip()
    accounts = password_reset.accounts_for_address(email)
    request_language = get_language() or "fr"
    with transaction.atomic():
        throttle.register_reset_request(email, client_ip(request))
        record(
            Action.PASSWORD_RESET_REQUESTED,
            request=request,
            username=email.lower(),
            details={"accounts": len(accounts)},
        )
        mails: list[tuple[str, dict[str, Any], str]] = [
            (
                "accounts/mail/password_reset",
                {
                    "user": user,
                    "minutes": password_reset.RESET_SECONDS // 60,
                    **password_reset.link_parts(user),
                },
                user.language or request_language,
            )
            for user in accounts
        ] or [("accounts/mail/password_reset_unknown", {"email": email}, request_language)]

        def send() -> None:
            for template, context, language in mails:
                send_templated_mail(template, context, [email], language)

        transaction.on_commit(send)


def reset_password(request: HttpRequest, user: User, password: str) -> None:
    """Set the new password. Sessions opened with the old one stop working at their next
    request (Django checks the password hash kept in each session); lock-out is cleared."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        throttle.clear_failures(user.get_username())
        record(Action.PASSWORD_RESET, actor=user, request=request, username=user.get_username())

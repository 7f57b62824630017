"""Forgotten passwords: single-use links that expire after an hour.

The token is Django's PasswordResetTokenGenerator (an HMAC over the user's id, password hash,
last login and a timestamp): nothing is stored, and it stops working as soon as the password
changes or the user signs in, which makes it single-use. Its lifetime is shortened here rather
than through the project-wide PASSWORD_RESET_TIMEOUT setting.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode

from vigie.accounts.models import User

RESET_SECONDS = 3600


class ResetTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "vigie.accounts.password_reset"

    def check_token(self, user: Any, token: str | None) -> bool:
        if not super().check_token(user, token) or token is None:
            return False
        try:
            issued = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        return self._num_seconds(self._now()) - issued <= RESET_SECONDS


tokens = ResetTokenGenerator()


def link_parts(user: User) -> dict[str, str]:
    return {"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": tokens.make_token(user)}


def user_for_link(uidb64: str, token: str) -> User | None:
    """The active user this link is for, or None when it is forged, used or expired."""
    try:
        user_id = int(force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, TypeError, OverflowError, UnicodeDecodeError):
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not tokens.check_token(user, token):
        return None
    return user


def accounts_for_address(email: str) -> list[User]:
    """Active accounts with this e-mail address that sign in with a password."""
    candidates = User.objects.filter(email__iexact=email.strip(), is_active=True)
    return [user for user in candidates if user.has_usable_password()]

"""Users and the record of failed logins that drives lock-out."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from vigie.accounts.zones import TIME_ZONES


class User(AbstractUser):
    """A person. What they may do comes from their memberships (tenancy.Membership)."""

    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    # The zone dates are shown in (accounts.zones): an overseas hospital reads its own clock.
    time_zone = models.CharField(
        _("time zone"), max_length=40, choices=TIME_ZONES, default="Europe/Paris"
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def display_name(self) -> str:
        return self.get_full_name() or self.username


class LoginFailure(models.Model):
    """One failed password or second-factor attempt, counted for lock-out (accounts/throttle.py)."""

    username = models.CharField(max_length=150, db_index=True)  # as typed, lower-cased
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(db_index=True)
    stage = models.CharField(max_length=16, default="password")  # password | otp | reset

    def __str__(self) -> str:
        return f"{self.username} {self.at.isoformat()}"


def signed_in_user(request: HttpRequest) -> User:
    """The request's user, for views already behind login_required (PermissionDenied otherwise)."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied("not signed in")
    return user

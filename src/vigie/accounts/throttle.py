"""Lock-out after repeated failures, per account and per client address.

Failures live in the database (not a cache) so every web worker on every machine sees the same
count. Unknown usernames are counted like real ones: lock-out must not reveal which accounts exist.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import ngettext

from vigie.accounts.models import LoginFailure

RESET_STAGE = "reset"
RESET_WINDOW = timedelta(hours=1)
RESET_MAX_PER_ADDRESS = 3
RESET_MAX_PER_IP = 10


def _window_start() -> datetime:
    return timezone.now() - timedelta(minutes=settings.VIGIE_LOGIN_LOCKOUT_MINUTES)


def normalise_username(username: str) -> str:
    return username.strip().lower()[:150]


def lockout_minutes_left(username: str, ip: str | None) -> int:
    """0 when the attempt may proceed, otherwise the minutes until it may."""
    since = _window_start()
    # Password-reset requests share the table but are limited separately (reset_minutes_left).
    recent = LoginFailure.objects.filter(at__gte=since).exclude(stage=RESET_STAGE)
    blockers: list[datetime] = []
    by_user = list(
        recent.filter(username=normalise_username(username))
        .order_by("-at")
        .values_list("at", flat=True)[: settings.VIGIE_LOGIN_MAX_FAILURES]
    )
    if len(by_user) >= settings.VIGIE_LOGIN_MAX_FAILURES:
        blockers.append(by_user[-1])
    if ip:
        by_ip = list(
            recent.filter(ip=ip)
            .order_by("-at")
            .values_list("at", flat=True)[: settings.VIGIE_LOGIN_MAX_FAILURES_PER_IP]
        )
        if len(by_ip) >= settings.VIGIE_LOGIN_MAX_FAILURES_PER_IP:
            blockers.append(by_ip[-1])
    if not blockers:
        return 0
    # Locked until the oldest failure that counts towards the limit leaves the window.
    unlock_at = max(blockers) + timedelta(minutes=settings.VIGIE_LOGIN_LOCKOUT_MINUTES)
    seconds = (unlock_at - timezone.now()).total_seconds()
    return max(1, math.ceil(seconds / 60))


def register_failure(username: str, ip: str | None, stage: str = "password") -> None:
    LoginFailure.objects.create(
        username=normalise_username(username), ip=ip, at=timezone.now(), stage=stage
    )


def clear_failures(username: str) -> None:
    LoginFailure.objects.filter(username=normalise_username(username)).delete()


def prune_failures(older_than: timedelta = timedelta(days=1)) -> int:
    deleted, _ = LoginFailure.objects.filter(at__lt=timezone.now() - older_than).delete()
    return deleted


def retry_in_words(seconds: int) -> str:
    """ "in 30 seconds" / "dans 30 secondes": when a throttled attempt may be made again."""
    if seconds < 60:
        return ngettext("in %(count)d second", "in %(count)d seconds", seconds) % {"count": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("in %(count)d minute", "in %(count)d minutes", minutes) % {"count": minutes}


def _reset_key(email: str) -> str:
    # Prefixed so that a reset request never counts as a failed login for a username.
    return ("reset:" + email.strip().lower())[:150]


def reset_minutes_left(email: str, ip: str | None) -> int:
    """0 when a password-reset e-mail may be requested, otherwise the minutes until it may.

    Counted per address (someone flooding a colleague's mailbox) and per client address (someone
    probing many addresses), whether or not an account exists.
    """
    recent = LoginFailure.objects.filter(stage=RESET_STAGE, at__gte=timezone.now() - RESET_WINDOW)
    blockers: list[datetime] = []
    by_address = list(
        recent.filter(username=_reset_key(email))
        .order_by("-at")
        .values_list("at", flat=True)[:RESET_MAX_PER_ADDRESS]
    )
    if len(by_address) >= RESET_MAX_PER_ADDRESS:
        blockers.append(by_address[-1])
    if ip:
        by_ip = list(
            recent.filter(ip=ip).order_by("-at").values_list("at", flat=True)[:RESET_MAX_PER_IP]
        )
        if len(by_ip) >= RESET_MAX_PER_IP:
            blockers.append(by_ip[-1])
    if not blockers:
        return 0
    seconds = (max(blockers) + RESET_WINDOW - timezone.now()).total_seconds()
    return max(1, math.ceil(seconds / 60))


def register_reset_request(email: str, ip: str | None) -> None:
    LoginFailure.objects.create(
        username=_reset_key(email), ip=ip, at=timezone.now(), stage=RESET_STAGE
    )

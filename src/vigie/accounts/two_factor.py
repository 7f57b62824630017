"""Second factor: TOTP apps (RFC 6238) through django-otp, with single-use backup codes."""

from __future__ import annotations

import base64
import math
from typing import Any

import segno
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from vigie.tenancy.access import requires_two_factor

BACKUP_CODE_COUNT = 10


def confirmed_devices(user: Any) -> list[Any]:
    return list(devices_for_user(user, confirmed=True))


def has_totp(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def must_use_two_factor(user: Any) -> bool:
    return has_totp(user) or requires_two_factor(user)


def pending_totp_device(user: Any) -> TOTPDevice:
    """The unconfirmed device being enrolled; one per user, reused until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def secret_for_display(device: TOTPDevice) -> str:
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_data_uri(device: TOTPDevice) -> str:
    return str(segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2))


def match_second_factor(user: Any, code: str) -> Any | None:
    """The device that accepts this TOTP or backup code, or None. Throttling is per device."""
    cleaned = "".join(code.split())
    for device in confirmed_devices(user):
        if isinstance(device, StaticDevice) and not cleaned.isalnum():
            continue
        if isinstance(device, TOTPDevice) and not cleaned.isdigit():
            continue
        if device.verify_token(cleaned.lower() if isinstance(device, StaticDevice) else cleaned):
            return device
    return None


def seconds_until_next_try(user: Any) -> int:
    """Seconds before the next code may be tried (django-otp doubles it: 1 s, 2 s, 4 s…)."""
    waits = []
    for device in confirmed_devices(user):
        allowed, data = device.verify_is_allowed()
        if not allowed and data and data.get("locked_until"):
            waits.append((data["locked_until"] - timezone.now()).total_seconds())
    return math.ceil(max(waits)) if waits else 0


def seconds_until_device_try(device: Any) -> int:
    """Seconds before this device (confirmed or being enrolled) accepts another code.

    django-otp refuses even a correct code while it is throttled after a wrong one: the person
    must be told to wait, not that the code or their phone's clock is wrong.
    """
    allowed, data = device.verify_is_allowed()
    if allowed or not data or not data.get("locked_until"):
        return 0
    return max(1, math.ceil((data["locked_until"] - timezone.now()).total_seconds()))


def regenerate_backup_codes(user: Any) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="backup", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def remove_all_devices(user: Any) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()

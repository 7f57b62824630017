"""System checks: notification settings that would only fail at the first delivery otherwise."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register
from django.core.exceptions import ImproperlyConfigured

from vigie.notify import retry, ssrf


@register()
def check_notify_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    try:
        retry.backoff_schedule()
    except ImproperlyConfigured as exc:
        errors.append(Error(str(exc), id="vigie_notify.E001"))
    try:
        ssrf.allowed_networks()
    except ImproperlyConfigured as exc:
        errors.append(Error(str(exc), id="vigie_notify.E002"))
    return errors

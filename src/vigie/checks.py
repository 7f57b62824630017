"""System checks that refuse unsafe production settings (run by every `vigie` command)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from vigie.conf.secret_key import is_insecure

LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


@register(Tags.security, deploy=False)
def check_secret_key(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEBUG:
        return []
    if settings.VIGIE_SECRET_KEY_MISSING:
        return [
            Error(
                "VIGIE_SECRET_KEY is not set.",
                hint="Set VIGIE_SECRET_KEY (or VIGIE_SECRET_KEY_FILE) to a random value of at "
                "least 50 characters, e.g. the output of "
                "`python3 -c 'import secrets; print(secrets.token_urlsafe(64))'`.",
                id="vigie.E001",
            )
        ]
    if is_insecure(settings.SECRET_KEY):
        return [
            Error(
                "VIGIE_SECRET_KEY is a default, short or low-entropy value.",
                hint="Use a random value of at least 50 characters.",
                id="vigie.E002",
            )
        ]
    return []


@register(Tags.security)
def check_hosts(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    if not settings.DEBUG and "*" in settings.ALLOWED_HOSTS:
        messages.append(
            Error(
                "VIGIE_ALLOWED_HOSTS contains '*'.",
                hint="List the host names the platform is reached by.",
                id="vigie.E003",
            )
        )
    if (
        not settings.DEBUG
        and not settings.VIGIE_HTTPS
        and set(settings.ALLOWED_HOSTS) - LOCAL_HOSTS
    ):
        messages.append(
            Warning(
                "The platform accepts non-local host names but VIGIE_HTTPS is off.",
                hint="Serve it behind TLS and set VIGIE_HTTPS=1 (secure cookies, HSTS).",
                id="vigie.W003",
            )
        )
    return messages


@register(Tags.security)
def check_password_hasher(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    if settings.VIGIE_TESTING or "Argon2" in settings.PASSWORD_HASHERS[0]:
        return []
    return [
        Error(
            "Passwords are not hashed with Argon2.",
            hint="Unset VIGIE_TESTING outside the test suite.",
            id="vigie.E004",
        )
    ]


@register()
def check_mail(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEBUG or settings.VIGIE_EMBEDDED or settings.VIGIE_TESTING:
        return []
    messages: list[CheckMessage] = []
    if settings.EMAIL_BACKEND.endswith("smtp.EmailBackend") and settings.EMAIL_HOST in LOCAL_HOSTS:
        messages.append(
            Warning(
                "Alerts and invitations are sent through an SMTP server on this machine.",
                hint="Set VIGIE_EMAIL_HOST (and VIGIE_EMAIL_USER/PASSWORD, VIGIE_EMAIL_STARTTLS) "
                "if no local mail relay runs here.",
                id="vigie.W004",
            )
        )
    if "@localhost" in settings.DEFAULT_FROM_EMAIL:
        messages.append(
            Warning(
                "VIGIE_EMAIL_FROM is not set: mail goes out as vigie@localhost.",
                hint="Set VIGIE_EMAIL_FROM to an address of your domain.",
                id="vigie.W005",
            )
        )
    return messages

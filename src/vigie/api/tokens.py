"""Creating, finding and revoking personal API tokens (each change audited)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from vigie.api.models import ApiToken, Scope
from vigie.audit.log import record
from vigie.audit.models import Action
from vigie.core.hashed_secrets import hash_secret, new_secret

PREFIX = "vgs_"
DISPLAY_PREFIX_LENGTH = len(PREFIX) + 6
# Writing last_used_at on every request would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenRejected(Exception):
    """The presented token cannot be used; `reason` is invalid, expired or revoked."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def create_token(
    *,
    user: Any,
    name: str,
    scope: str = Scope.READ,
    expires_at: datetime | None = None,
    request: HttpRequest | None = None,
    via: str = "web",
) -> tuple[ApiToken, str]:
    """Returns the stored token and its secret value, which is never stored nor shown again."""
    if scope not in Scope.values:
        raise ValueError(f"unknown scope {scope!r}")
    secret = new_secret(PREFIX)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name.strip()[:100] or "token",
            prefix=secret[:DISPLAY_PREFIX_LENGTH],
            token_hash=hash_secret(secret),
            scope=scope,
            expires_at=expires_at,
        )
        record(
            Action.TOKEN_CREATED,
            actor=user,
            target=token,
            request=request,
            details={"scope": scope, "via": via, "prefix": token.prefix},
        )
    return token, secret


def revoke_token(*, token: ApiToken, actor: Any, request: HttpRequest | None = None) -> bool:
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(
            revoked_at=timezone.now()
        )
        if updated:
            record(
                Action.TOKEN_REVOKED,
                actor=actor,
                target=token,
                request=request,
                details={"prefix": token.prefix},
            )
    return bool(updated)


def authenticate_token(secret: str, ip: str | None = None) -> ApiToken:
    """The active token for this secret, with its user; TokenRejected otherwise."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        raise TokenRejected("invalid")
    token = ApiToken.objects.select_related("user").filter(token_hash=hash_secret(secret)).first()
    if token is None or not token.user.is_active:
        raise TokenRejected("invalid")
    if token.revoked_at is not None:
        raise TokenRejected("revoked")
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenRejected("expired")
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now, last_used_ip=ip)
    return token

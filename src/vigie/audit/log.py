"""Writing audit events. Action functions call `record` inside their own transaction."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest
from django.utils import timezone

from vigie.audit.models import AuditEvent
from vigie.core.logging import request_id_var
from vigie.core.net import client_ip


def record(
    action: str,
    *,
    actor: Any = None,
    organisation: Any = None,
    target: models.Model | None = None,
    target_label: str = "",
    request: HttpRequest | None = None,
    username: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    actor_user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    event = AuditEvent(
        at=timezone.now(),
        actor=actor_user,
        actor_username=(actor_user.get_username() if actor_user is not None else username)[:150],
        organisation=organisation,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=(target_label or (str(target) if target is not None else ""))[:200],
        request_id=request_id_var.get(),
        details=details or {},
    )
    if request is not None:
        event.ip = client_ip(request)
        event.user_agent = request.headers.get("User-Agent", "")[:300]
    event.save()
    return event

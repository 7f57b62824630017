"""Delivery channels as plug-ins: one module per kind behind the `Transport` base class."""

from __future__ import annotations

from vigie.notify.transports.base import PermanentError, TemporaryError, Transport
from vigie.notify.transports.email import EmailTransport
from vigie.notify.transports.webhook import WebhookTransport

TRANSPORTS: dict[str, Transport] = {
    EmailTransport.kind: EmailTransport(),
    WebhookTransport.kind: WebhookTransport(),
}


def transport_for(kind: str) -> Transport:
    try:
        return TRANSPORTS[kind]
    except KeyError:
        raise PermanentError(f"no transport for {kind!r}") from None


__all__ = ["TRANSPORTS", "PermanentError", "TemporaryError", "Transport", "transport_for"]

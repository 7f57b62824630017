"""Signatures of webhook requests: HMAC-SHA256 over "<timestamp>.<body>" with the channel secret.

Receivers recompute it (docs/notes/notify.md has the snippet) and refuse a timestamp more than
five minutes away from their clock, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_PREFIX = "sha256="
REPLAY_WINDOW_SECONDS = 300


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    received: str,
    *,
    now: float,
    tolerance: int = REPLAY_WINDOW_SECONDS,
) -> bool:
    """What a receiver does: constant-time comparison and a bounded clock difference."""
    try:
        stamp = int(timestamp)
    except ValueError:
        return False
    if abs(now - stamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, stamp, body), received)

"""When a failed delivery is tried again: exponential backoff with jitter, then dead."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_random = secrets.SystemRandom()

# Jitter spreads the retries of many deliveries that failed together (a receiver restarting),
# so they do not all come back in the same second.
JITTER = 0.2
LONGEST_RETRY_AFTER = timedelta(hours=6)


def backoff_schedule() -> list[int]:
    """Seconds to wait after the 1st, 2nd, ... failure; the last value repeats."""
    raw = settings.VIGIE_NOTIFY_BACKOFF_SECONDS
    try:
        values = [int(item) for item in raw]
    except ValueError:
        raise ImproperlyConfigured(
            f"VIGIE_NOTIFY_BACKOFF_SECONDS={' '.join(raw)!r}: expected whole numbers of seconds"
        ) from None
    if not values or any(value < 1 for value in values):
        raise ImproperlyConfigured("VIGIE_NOTIFY_BACKOFF_SECONDS: give at least one value ≥ 1")
    return values


def gives_up_after(attempts: int) -> bool:
    return attempts >= settings.VIGIE_NOTIFY_MAX_ATTEMPTS


def delay_after(attempts: int, retry_after: float | None = None) -> timedelta:
    """The wait after `attempts` failed attempts (1-based), at least what the receiver asked."""
    schedule = backoff_schedule()
    base = schedule[min(max(attempts, 1), len(schedule)) - 1]
    delay = timedelta(seconds=base * _random.uniform(1 - JITTER, 1 + JITTER))
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(timedelta(seconds=retry_after), LONGEST_RETRY_AFTER))
    return delay

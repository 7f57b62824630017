"""Days as the platform counts them: in its own time zone, whoever computes them."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone


def local_date(moment: datetime) -> date:
    """The day of `moment` in the platform's time zone (a snapshot is the same whoever
    computes it: the daily job, the demo, a page)."""
    if timezone.is_naive(moment):
        return moment.date()
    return timezone.localtime(moment, timezone.get_default_timezone()).date()

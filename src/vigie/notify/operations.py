"""The outbox's panel on the centre's operations page (platform-wide counts, no content)."""

from __future__ import annotations

from django.db.models import Count, Min
from django.utils import timezone

from vigie.core import operations
from vigie.notify.models import CLAIMABLE_STATES, AttemptOutcome, Delivery, DeliveryAttempt
from vigie.notify.models import DeliveryState as State


def panel() -> dict[str, object]:
    now = timezone.now()
    since = now - operations.WINDOW
    by_state = dict(
        Delivery.objects.exclude(state__in=[State.SENT, State.DEAD])
        .order_by()
        .values("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    due = Delivery.objects.filter(state__in=CLAIMABLE_STATES, next_attempt_at__lte=now)
    return {
        "due": due.count(),
        "sending": by_state.get(State.SENDING, 0),
        "retry": Delivery.objects.filter(state=State.RETRY, next_attempt_at__gt=now).count(),
        "dead": Delivery.objects.filter(state=State.DEAD, attempt_log__at__gte=since)
        .distinct()
        .count(),
        "interrupted": DeliveryAttempt.objects.filter(
            outcome=AttemptOutcome.INTERRUPTED, at__gte=since
        ).count(),
        "oldest_due": due.order_by().aggregate(oldest=Min("next_attempt_at"))["oldest"],
    }


operations.register_panel("notify-outbox", "notify/_operations_panel.html", panel)

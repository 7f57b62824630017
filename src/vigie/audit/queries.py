"""Which audit events an organisation's administrators may read, and filtering them."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from vigie.audit.models import AuditEvent
from vigie.core.paging import Key
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import Membership

# Newest first, the id breaking ties of the same instant: the model's order, and a total one
# for keyset paging (indexes (organisation, -at) and (actor_username, -at)).
ORDER = (Key("at", descending=True), Key("pk", descending=True))


def events_for(access: OrgAccess) -> QuerySet[AuditEvent]:
    """The organisation's own events, plus sign-in events of its current members.

    Sign-ins belong to no organisation; a member's admins see them because they answer for
    that account's use of their establishment's data.
    """
    usernames = list(
        Membership.objects.filter(organisation=access.organisation).values_list(
            "user__username", flat=True
        )
    )
    names = set(usernames) | {name.lower() for name in usernames}
    return AuditEvent.objects.filter(
        Q(organisation=access.organisation) | Q(organisation__isnull=True, actor_username__in=names)
    ).select_related("organisation")


def apply_filters(queryset: QuerySet[AuditEvent], data: dict[str, Any]) -> QuerySet[AuditEvent]:
    if data.get("who"):
        queryset = queryset.filter(actor_username__icontains=data["who"])
    if data.get("action"):
        queryset = queryset.filter(action=data["action"])
    zone = timezone.get_current_timezone()
    if data.get("since"):
        queryset = queryset.filter(at__gte=datetime.combine(data["since"], time.min, zone))
    if data.get("until"):
        end = datetime.combine(data["until"], time.min, zone) + timedelta(days=1)
        queryset = queryset.filter(at__lt=end)
    return queryset

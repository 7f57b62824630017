"""The audit log pages newest first by keyset: every event once, filters kept across pages."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any

from django.utils import timezone

from tests.helpers import signed_in
from vigie.audit.models import Action, AuditEvent
from vigie.tenancy.models import Organisation

NEXT = re.compile(r'<a href="\?([^"]+)" rel="next"')
LABEL = re.compile(r"<td>(event-\d+)</td>")


def _events(org: Organisation, count: int, action: str = Action.EXPORT) -> list[AuditEvent]:
    now = timezone.now()
    # Three events per instant: pages must split equal timestamps by id.
    return AuditEvent.objects.bulk_create(
        AuditEvent(
            at=now - timedelta(minutes=n // 3),
            organisation=org,
            action=action,
            actor_username="someone",
            target_label=f"event-{n}",
        )
        for n in range(count)
    )


def _walk(client: Any, query: str) -> list[list[str]]:
    pages = []
    following: str | None = query
    while following is not None:
        response = client.get(f"/o/chu-alpha/audit/?{following}")
        assert response.status_code == 200
        html = response.content.decode()
        pages.append(LABEL.findall(html))
        found = NEXT.search(html)
        following = unescape(found.group(1)) if found else None
    return pages


def test_following_next_links_lists_every_event_once_newest_first(
    est_a: Organisation, est_b: Organisation, a_admin: Any
) -> None:
    made = _events(est_a, 112)
    _events(est_b, 20)
    pages = _walk(signed_in(a_admin), "")
    assert [len(labels) for labels in pages] == [50, 50, 12]
    expected = [e.target_label for e in sorted(made, key=lambda e: (e.at, e.pk), reverse=True)]
    assert [label for labels in pages for label in labels] == expected


def test_action_filter_is_kept_on_every_page(est_a: Organisation, a_admin: Any) -> None:
    _events(est_a, 60, action=Action.EXPORT)
    _events(est_a, 55, action=Action.ASSET_CHANGED)
    pages = _walk(signed_in(a_admin), f"action={Action.ASSET_CHANGED}")
    assert [len(labels) for labels in pages] == [50, 5]
    shown = {label for labels in pages for label in labels}
    changed = AuditEvent.objects.filter(organisation=est_a, action=Action.ASSET_CHANGED)
    assert shown == set(changed.values_list("target_label", flat=True))

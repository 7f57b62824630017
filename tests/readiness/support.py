"""What the readiness tests share: real alerts and incidents, and a pillar registered for a test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vigie.engines.readiness import Reason
from vigie.inventory.models import Asset
from vigie.readiness import pillars as registry
from vigie.readiness.pillars import PillarSpec, register_pillar
from vigie.tenancy.models import Organisation
from vigie.vulns.models import Alert, AlertEvent, Vulnerability

_serial = iter(range(1, 1_000_000))


def asset(organisation: Organisation, created_at: datetime | None = None) -> Asset:
    """An asset of the inventory, recorded a year ago unless told."""
    found = Asset.objects.create(organisation=organisation, name=f"Serveur {next(_serial)}")
    when = created_at or timezone.now() - timedelta(days=365)
    Asset.objects.filter(pk=found.pk).update(created_at=when)
    found.refresh_from_db()
    return found


def alert(
    organisation: Organisation,
    priority: str,
    first_seen: datetime,
    *,
    state: str = "new",
    state_changed_at: datetime | None = None,
    **fields: Any,
) -> Alert:
    vulnerability = Vulnerability.objects.create(vuln_id=f"CVE-2025-{next(_serial):05d}")
    return Alert.objects.create(
        organisation=organisation,
        vulnerability=vulnerability,
        priority=priority,
        state=state,
        first_seen=first_seen,
        state_changed_at=state_changed_at or first_seen,
        **fields,
    )


def event(found: Alert, at: datetime, kind: str, to_state: str = "", **details: Any) -> None:
    AlertEvent.objects.create(alert=found, at=at, kind=kind, to_state=to_state, details=details)


@contextmanager
def pillars_for_test(*specs: PillarSpec, keep: tuple[str, ...] | None = None) -> Iterator[None]:
    """Register `specs` (and keep only the registered pillars named in `keep`, when given) for
    the duration of the block; the registry is as it was afterwards."""
    saved = registry.pillars()
    try:
        if keep is not None:
            for spec in saved:
                if spec.code not in keep:
                    registry.unregister_pillar(spec.code)
        for spec in specs:
            register_pillar(spec)
        yield
    finally:
        for spec in registry.pillars():
            registry.unregister_pillar(spec.code)
        for spec in saved:
            register_pillar(spec)


def drills_provider(organisation: Organisation, now: datetime) -> list[Reason]:
    return [
        Reason(
            "drills.late", {"count": 1234, "since": datetime(2025, 1, 31, 23, 30, tzinfo=UTC)}, 30
        ),
        Reason("drills.later_version", {"x": 1}, 10),
        Reason("drills.done", {"ratio": 2.5}, 0),
    ]


DRILLS = PillarSpec(
    code="drills",
    label=_("Drills"),
    order=55,
    provider=drills_provider,
    reason_texts={
        "drills.late": _("Late drills: %(count)s, since %(since)s."),
        "drills.done": _("Drill ratio %(ratio)s."),
    },
    url_name="tenancy:dashboard",
)

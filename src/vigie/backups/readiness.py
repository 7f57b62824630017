"""The "backups" pillar of readiness: every set's findings as reasons, points off 100."""

from __future__ import annotations

from datetime import datetime

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from vigie.backups.models import BackupSet
from vigie.backups.status import status_of
from vigie.engines.readiness import Reason
from vigie.readiness.pillars import PillarSpec, register_pillar
from vigie.tenancy.models import Organisation

# Points a finding takes off, for each set that has it (the pillar never goes below 0).
POINTS = {
    "never_backed_up": 30,
    "stale": 25,
    "check_never": 10,
    "check_failed": 25,
    "check_errors": 0,  # counted with check_failed
    "check_overdue": 10,
    "restore_test_never": 15,
    "restore_test_overdue": 10,
    "restore_failed": 20,
    "restore_over_rto": 10,
    "too_few_copies": 10,
    "single_media": 5,
    "no_offsite": 10,
    "no_offline_copy": 15,
    "added_jump": 25,
}

REASON_TEXTS: dict[str, Promise] = {
    "backups.no_set": _("No backup set declared."),
    "backups.sets": _("Backup sets declared: %(count)s; without a problem: %(healthy)s."),
    "backups.never_backed_up": _("%(system)s: no successful backup recorded."),
    "backups.stale": _("%(system)s: last backup %(hours)s hours ago (RPO %(rpo_hours)s hours)."),
    "backups.check_never": _("%(system)s: no integrity check recorded."),
    "backups.check_failed": _("%(system)s: the last integrity check failed."),
    "backups.check_errors": _("%(system)s: the last verification did not end with zero errors."),
    "backups.check_overdue": _("%(system)s: last integrity check %(days)s days ago."),
    "backups.restore_test_never": _("%(system)s: no restore test recorded."),
    "backups.restore_test_overdue": _("%(system)s: last restore test %(days)s days ago."),
    "backups.restore_failed": _("%(system)s: the last restore test did not succeed."),
    "backups.restore_over_rto": _(
        "%(system)s: the last restore took %(minutes)s minutes (RTO %(rto_hours)s hours)."
    ),
    "backups.too_few_copies": _("%(system)s: only %(copies)s copies."),
    "backups.single_media": _("%(system)s: all copies on one kind of media."),
    "backups.no_offsite": _("%(system)s: no off-site copy."),
    "backups.no_offline_copy": _("%(system)s: no offline or immutable copy."),
    "backups.added_jump": _(
        "%(system)s: the last backup added %(factor)s times more data than usual."
    ),
}


def reasons(organisation: Organisation, now: datetime) -> list[Reason]:
    sets = list(BackupSet.objects.filter(organisation=organisation, created_at__lte=now))
    if not sets:
        return [Reason("backups.no_set", {}, 100)]
    found: list[Reason] = []
    healthy = 0
    for backup_set in sets:
        status = status_of(backup_set, now)
        if not status.findings:
            healthy += 1
        for finding in status.findings:
            params = {"system": backup_set.system, **finding.params}
            # A set's share of the pillar: ten sets with one problem each weigh what one set
            # with that problem weighs alone.
            weight = POINTS.get(finding.code, 5)
            points = max(1, round(weight / len(sets))) if weight else 0
            found.append(Reason(f"backups.{finding.code}", params, points))
    return [Reason("backups.sets", {"count": len(sets), "healthy": healthy}, 0), *found]


register_pillar(
    PillarSpec(
        code="backups",
        label=pgettext_lazy("system backups", "Backups"),
        order=20,
        provider=reasons,
        reason_texts=REASON_TEXTS,
        url_name="backups:list",
    )
)

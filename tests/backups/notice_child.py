"""A real process that runs the `backup-checks` job over a dozen stale backup sets, killed
with SIGKILL right after its `kill_after`-th outbox write, inside the transaction that also
holds the problem's `ProblemNotice` marker (where a crash would lose or repeat a notice if
they were apart).

Run by test_notice_kill.py: `python notice_child.py KILL_AFTER` with VIGIE_HOME set to a
migrated scratch home. KILL_AFTER 0 runs to the end.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import timedelta
from typing import Any

import django

ESTABLISHMENTS = 4
SETS_PER_ESTABLISHMENT = 3


def main(kill_after: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigie.settings")
    django.setup()
    # After django.setup(): the models need the app registry.
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from vigie.backups import jobs
    from vigie.backups.models import BackupSet, Snapshot
    from vigie.notify import outbox
    from vigie.notify.models import Delivery
    from vigie.tenancy.models import Membership, Organisation
    from vigie.tenancy.roles import OrgKind, Role

    users = get_user_model().objects
    centre, created = Organisation.objects.get_or_create(
        slug="centre", defaults={"kind": OrgKind.CENTRE, "name": "Centre"}
    )
    if created:
        # Backed up 30 hours ago with an RPO of 24 h, never checked, never restore-tested:
        # three problems per set (the 3-2-1-1-0 policy itself is met).
        taken = timezone.now() - timedelta(hours=30)
        for n in range(ESTABLISHMENTS):
            org = Organisation.objects.create(
                slug=f"est-{n}", name=f"Est {n}", kind=OrgKind.ESTABLISHMENT, centre=centre
            )
            officer = users.create(username=f"rssi-{n}", email=f"rssi-{n}@est.example")
            Membership.objects.create(user=officer, organisation=org, role=Role.SECURITY_OFFICER)
            for s in range(SETS_PER_ESTABLISHMENT):
                backup_set = BackupSet.objects.create(
                    organisation=org,
                    system=f"Système {s}",
                    rpo_hours=24,
                    copies_count=3,
                    media_count=2,
                    offsite=True,
                    offline_or_immutable=True,
                    created_at=taken,
                )
                Snapshot.objects.create(
                    backup_set=backup_set,
                    tool_id=f"{n:02d}{s:02d}aaaa",
                    taken_at=taken,
                    source="api",
                    ingested_at=taken,
                )

    writes = 0
    real = outbox.enqueue_for_channels

    def counted(**kwargs: Any) -> list[Delivery]:
        nonlocal writes
        result = real(**kwargs)
        writes += 1
        if kill_after and writes >= kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    # Through the module attribute, as `vigie.backups.actions` calls it.
    outbox.enqueue_for_channels = counted
    result = jobs.run_backup_checks.call()
    print(result["notified"])


if __name__ == "__main__":
    main(int(sys.argv[1]))

"""A real process that sends the deadline reminders of a dozen cases, killed with SIGKILL
right after its `kill_after`-th outbox write, inside the transaction that also holds the
reminder's marker (where a crash would lose or repeat a reminder if they were apart).

Run by test_reminder_kill.py: `python reminder_child.py KILL_AFTER` with VIGIE_HOME set to a
migrated scratch home. KILL_AFTER 0 runs to the end.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import timedelta
from typing import Any

import django

CASES = 12


def main(kill_after: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigie.settings")
    django.setup()
    # After django.setup(): the models need the app registry.
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from vigie.incidents import actions
    from vigie.incidents.models import Incident
    from vigie.notify import outbox
    from vigie.notify.models import Delivery
    from vigie.tenancy.models import Membership, Organisation
    from vigie.tenancy.roles import OrgKind, Role

    users = get_user_model().objects
    centre, created = Organisation.objects.get_or_create(
        slug="centre", defaults={"kind": OrgKind.CENTRE, "name": "Centre"}
    )
    if created:
        aware = timezone.now() - timedelta(hours=30)
        for n in range(CASES):
            org = Organisation.objects.create(
                slug=f"est-{n}",
                name=f"Est {n}",
                kind=OrgKind.ESTABLISHMENT,
                centre=centre,
                nis2_class="essential",
            )
            officer = users.create(username=f"rssi-{n}", email=f"rssi-{n}@est.example")
            Membership.objects.create(user=officer, organisation=org, role=Role.SECURITY_OFFICER)
            Incident.objects.create(
                organisation=org,
                number=1,
                title="Rançongiciel",
                category="ransomware",
                declared_at=aware,
                declared_by=officer,
                aware_at=aware,
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

    outbox.enqueue_for_channels = counted
    actions.send_due_reminders()


if __name__ == "__main__":
    main(int(sys.argv[1]))

"""A real process that publishes an advisory or reports a sighting, killed with SIGKILL after
its `kill_after`-th outbox write, inside the transaction that also holds the receipts or the
sighting (the kill lands where a crash would lose notices if they were not in it).

Run by test_notify_kill.py: `python notify_child.py advisory|sighting KILL_AFTER` with
VIGIE_HOME set to a migrated scratch home. KILL_AFTER 0 runs to the end.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

import django

ESTABLISHMENTS = 12


def main(mode: str, kill_after: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigie.settings")
    django.setup()
    # After django.setup(): the models need the app registry.
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from vigie.intel import advisories, sightings
    from vigie.intel.models import Advisory, Indicator
    from vigie.notify import outbox
    from vigie.notify.models import Delivery
    from vigie.tenancy.access import org_access
    from vigie.tenancy.models import Membership, Organisation
    from vigie.tenancy.roles import OrgKind, Role

    users = get_user_model().objects
    centre, created = Organisation.objects.get_or_create(
        slug="centre", defaults={"kind": OrgKind.CENTRE, "name": "Centre"}
    )
    if created:
        analyst = users.create(username="analyst", email="analyst@centre.example")
        Membership.objects.create(user=analyst, organisation=centre, role=Role.ANALYST)
        for n in range(ESTABLISHMENTS):
            org = Organisation.objects.create(
                slug=f"est-{n}", name=f"Est {n}", kind=OrgKind.ESTABLISHMENT, centre=centre
            )
            officer = users.create(username=f"rssi-{n}", email=f"rssi-{n}@est.example")
            Membership.objects.create(user=officer, organisation=org, role=Role.SECURITY_OFFICER)
        now = timezone.now()
        Indicator.objects.create(
            organisation=centre,
            community=centre,
            type="domain",
            value="c2.example",
            tlp="green",
            first_seen=now,
            last_seen=now,
        )

    # Kill inside the transaction, right after the n-th outbox write has been executed.
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

    if mode == "advisory":
        access = org_access(users.get(username="analyst"), "centre")
        advisory = Advisory.objects.first() or advisories.save_version(
            access,
            None,
            advisories.Draft(
                title="T", summary="S", severity="high", tlp="green", actions="Patch."
            ),
        )
        print(advisories.publish(access, advisory))
    else:
        access = org_access(users.get(username="rssi-0"), "est-0")
        sighting, created_now = sightings.report_sighting(
            access, sightings.Report(type="domain", value="c2.example", log_type="dns")
        )
        print(sighting.count, created_now)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))

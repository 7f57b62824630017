"""A real process that sends a campaign of a dozen recipients, killed with SIGKILL right after
its `kill_after`-th outbox write, inside the transaction that also marks the recipient sent
(where a crash would lose or repeat a message if the two were apart).

Run by test_sender_kill.py: `python sender_child.py KILL_AFTER` with VIGIE_HOME set to a
migrated scratch home. KILL_AFTER 0 runs to the end.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

import django

RECIPIENTS = 12


def main(kill_after: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigie.settings")
    django.setup()
    # After django.setup(): the models need the app registry.
    from django.contrib.auth import get_user_model

    from vigie.notify import outbox
    from vigie.notify.models import Delivery
    from vigie.phishing import actions
    from vigie.phishing.models import Source
    from vigie.tenancy.access import org_access
    from vigie.tenancy.models import Membership, Organisation
    from vigie.tenancy.roles import Cap, OrgKind, Role

    org, created = Organisation.objects.get_or_create(
        slug="chu", defaults={"kind": OrgKind.ESTABLISHMENT, "name": "CHU"}
    )
    if created:
        admin = get_user_model().objects.create(username="rssi", email="rssi@chu.example")
        Membership.objects.create(user=admin, organisation=org, role=Role.SECURITY_OFFICER)
        access = org_access(admin, org.slug, Cap.RUN_PHISHING)
        rows = "\n".join(f"agent{n}@chu.example,,Urgences" for n in range(RECIPIENTS))
        recipients = actions.upload_list(
            access,
            name="Agents",
            filename="agents.csv",
            content=f"email,name,service\n{rows}\n".encode(),
        )
        campaign = actions.save_campaign(
            access,
            actions.CampaignInput(
                name="Kill",
                template="payslip",
                language="fr",
                sender_name="RH",
                source=Source.LIST,
                care_unit=None,
                recipient_list=recipients,
                rate=100,
            ),
        )
        actions.launch(access, campaign)

    writes = 0
    real = outbox.enqueue_email

    def counted(**kwargs: Any) -> Delivery | None:
        nonlocal writes
        result = real(**kwargs)
        writes += 1
        if kill_after and writes >= kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    outbox.enqueue_email = counted
    actions.send_due()


if __name__ == "__main__":
    main(int(sys.argv[1]))

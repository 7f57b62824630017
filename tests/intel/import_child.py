"""A real process importing an indicator file, killed with SIGKILL after `kill_after` rows.

Run by test_import_kill.py: `python import_child.py FILE KILL_AFTER` with VIGIE_HOME set to a
migrated scratch home. KILL_AFTER 0 imports to the end.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import django


def main(path: str, kill_after: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigie.settings")
    django.setup()
    # After django.setup(): the models need the app registry.
    from django.contrib.auth import get_user_model

    from vigie.intel.imports import import_indicators
    from vigie.tenancy.access import org_access
    from vigie.tenancy.models import Membership, Organisation
    from vigie.tenancy.roles import OrgKind, Role

    centre, _ = Organisation.objects.get_or_create(
        slug="centre", defaults={"kind": OrgKind.CENTRE, "name": "Centre"}
    )
    user, created = get_user_model().objects.get_or_create(username="analyst")
    if created:
        Membership.objects.create(user=user, organisation=centre, role=Role.ANALYST)
    access = org_access(user, "centre")

    def progress(done: int) -> None:
        if kill_after and done >= kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    job = import_indicators(
        access=access,
        data=Path(path).read_bytes(),
        file_name="big.txt",
        source="test",
        default_tlp="amber",
        progress=progress,
    )
    print(job.counts["created"])


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))

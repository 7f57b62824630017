"""Background task of the inventory: matching what an import committed (registered on import).

The task is queued in the import's own transaction (database backend), so the assets and the
order to match them commit together; whatever stops it half-way, the import's PendingMatch rows
remain and the `resume-matching` job finishes it (vulns/pending.py). Running it twice is safe:
it claims the import first, and matching an asset twice changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django_tasks import task

from vigie.core.recovery import rerun_if_interrupted


@task()
def match_inventory_import(import_id: str) -> dict[str, int] | None:
    from vigie.vulns.pending import match_import

    return match_import(import_id)


# A worker killed while matching: the task runs again at once on a live worker (it claims the
# import from the dead process), rather than waiting for the next `resume-matching` slot.
match_inventory_import = rerun_if_interrupted(match_inventory_import)


def enqueue_matching(import_id: Any) -> None:
    """Queue the matching of a committed import, from inside its transaction."""
    if settings.VIGIE_TASKS_BACKEND == "redis":
        # Redis is outside the transaction: push once the assets are visible to its workers. A
        # process killed in between leaves the import queued; the resumer takes it after a while.
        transaction.on_commit(lambda: match_inventory_import.enqueue(str(import_id)), robust=True)
    else:
        # Database backend: the task row commits with the assets, or neither does. Immediate
        # backend (tests): the matching runs now, inside the import's transaction.
        match_inventory_import.enqueue(str(import_id))

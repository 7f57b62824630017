"""An establishment's inventory imports, newest first, paged by keyset in the database.

Each import keeps its parsed records and problems (megabytes of JSON for a large file): the list
reads only the columns it shows, and the counts come from the import's small `summary`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from vigie.core.paging import Key
from vigie.inventory.models import InventoryImport

# Served by the (organisation, -created_at) index; the id makes the order total.
ORDER = (Key("created_at", descending=True), Key("pk", descending=True))

COLUMNS = (
    "id",
    "organisation",
    "uploaded_by__username",
    "file_name",
    "file_format",
    "state",
    "summary",
    "created_at",
    "committed_at",
    "match_state",
)


def listed(imports: QuerySet[InventoryImport]) -> QuerySet[InventoryImport]:
    """The imports without their records, errors and warnings, with who uploaded each."""
    return imports.select_related("uploaded_by").only(*COLUMNS)


def counts(job: InventoryImport) -> dict[str, Any]:
    """new / updated / unchanged / errors of an import; None where the file was not compared
    (refused files are not compared with the inventory)."""
    summary = job.summary or {}
    return {
        "new": summary.get("new"),
        "updated": summary.get("updated"),
        "unchanged": summary.get("unchanged"),
        "errors": summary.get("errors", 0),
    }

"""Trigram indexes for the inventory's text search and care-unit filter (PostgreSQL only).

The inventory search (name, identifier, vendor, product) and the care-unit filter are
`icontains` lookups, which PostgreSQL writes `UPPER(col::text) LIKE UPPER('%…%')`: no B-tree
can serve them, so every search read the whole inventory (80-100 ms at 50,000 assets,
docs/performance.md). A GIN trigram index on the same expression can. SQLite has no such index
and keeps its scan (a few ms there). pg_trgm ships with PostgreSQL and is a trusted extension
(PostgreSQL 13 and later): the database owner may create it (docs/operations.md).
"""

from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

COLUMNS = ("name", "external_id", "vendor", "product", "location")


def _index(column: str) -> str:
    return f"asset_{column}_trgm_idx"


def forwards(apps: Any, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {_index(column)} ON inventory_asset "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def backwards(apps: Any, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {_index(column)}")


class Migration(migrations.Migration):
    dependencies = [("inventory", "0003_list_paging_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]

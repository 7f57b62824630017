"""An establishment's care units, read by skipping through the (organisation, location) index.

`SELECT DISTINCT location` reads every asset: PostgreSQL has no skip scan, so at 50,000 assets
the alert list's care-unit filter cost 18-31 ms a page (docs/performance.md). A recursive query
asks the index for the next unit after the previous one instead: one probe per unit, the same
statement on SQLite and PostgreSQL. The ORM has no recursive queries, hence the SQL here.
"""

from __future__ import annotations

from django.db import connection

from vigie.inventory.models import Asset
from vigie.tenancy.access import OrgAccess

_NEXT_UNIT = """
WITH RECURSIVE units(location) AS (
    SELECT MIN(location) FROM {table} WHERE organisation_id = %s AND location > ''
    UNION ALL
    SELECT (
        SELECT MIN(a.location) FROM {table} a
        WHERE a.organisation_id = %s AND a.location > units.location
    )
    FROM units WHERE units.location IS NOT NULL
)
SELECT location FROM units WHERE location IS NOT NULL
"""


def care_units(access: OrgAccess) -> list[str]:
    """The distinct non-empty care units of the access's organisation, in the index's order."""
    organisation_id = access.organisation.pk  # the tenancy check was made when access was granted
    sql = _NEXT_UNIT.format(table=connection.ops.quote_name(Asset._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, [organisation_id, organisation_id])
        return [location for (location,) in cursor.fetchall()]

"""The inventory list's paging: by name in the database, open alerts counted for the page only.

An establishment holds tens of thousands of assets. Annotating every asset with its open alerts
made each page join and group the whole inventory (and count it again for the paginator); the
page's 50 assets are counted in one small query instead.
"""

from __future__ import annotations

from django.db.models import Count, QuerySet

from vigie.core.paging import Key
from vigie.inventory.models import Asset, InventoryImport
from vigie.vulns.models import OPEN_STATES, Alert, AlertAsset

# Name, then id: a total order (names repeat: thirty identical pumps), served by the
# (organisation, name, id) index.
ORDER = (Key("name"), Key("pk"))


def count_open_alerts(assets: list[Asset]) -> None:
    """Sets `open_alerts` on each asset: alerts, not alert rows (each alert once per asset)."""
    counts = dict(
        # The open alerts as a subquery, not a join: joined, SQLite (without statistics) walked
        # every open alert and probed the page's assets in each (60-400 ms at 5,000 alerts);
        # this way the (asset, active) index reads the page's few rows.
        AlertAsset.objects.filter(
            asset__in=[a.pk for a in assets],
            active=True,
            alert__in=Alert.objects.filter(state__in=OPEN_STATES).values("pk"),
        )
        .values("asset_id")
        .annotate(n=Count("alert_id", distinct=True))
        .values_list("asset_id", "n")
    )
    for asset in assets:
        asset.open_alerts = counts.get(asset.pk, 0)


def recent_imports(imports: QuerySet[InventoryImport]) -> QuerySet[InventoryImport]:
    """The latest imports for a list: without their parsed records (megabytes of JSON each)."""
    return imports.only(
        "id", "organisation", "file_name", "state", "match_state", "created_at"
    ).order_by("-created_at")[:5]

"""One AlertAsset row per (alert, asset): rows of several sources are merged (data only).

Until now an asset matched by NVD and by CVE 5 had one row per source and counted twice. The
best row (engines.matching.match_order: confidence, then source precision, among the rows
still active when one is) is kept, the others are folded into its `corroboration` list and
deleted; `first_seen` is the earliest. Backwards, each corroborating source gets its row again.
"""

from collections import defaultdict
from typing import Any

from django.db import migrations
from django.db.models import Count

from vigie.vulns.corroboration import merge_rows, stored_matches

BATCH = 500


def merge_duplicates(apps: Any, schema_editor: Any) -> None:
    AlertAsset = apps.get_model("vulns", "AlertAsset")
    db = schema_editor.connection.alias
    rows = AlertAsset.objects.using(db)
    pairs = list(
        rows.values_list("alert_id", "asset_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("alert_id", "asset_id")
    )
    for start in range(0, len(pairs), BATCH):
        wanted = {(alert_id, asset_id) for alert_id, asset_id, _ in pairs[start : start + BATCH]}
        groups: dict[tuple[int, int], list[Any]] = defaultdict(list)
        for row in rows.filter(alert_id__in={alert_id for alert_id, _ in wanted}).order_by("pk"):
            if (row.alert_id, row.asset_id) in wanted:
                groups[(row.alert_id, row.asset_id)].append(row)
        kept, gone = [], []
        for group in groups.values():
            row, others = merge_rows(group)
            kept.append(row)
            gone.extend(other.pk for other in others)
        rows.filter(pk__in=gone).delete()
        rows.bulk_update(
            kept,
            [
                "source",
                "confidence",
                "reason",
                "criterion",
                "version_range",
                "corroboration",
                "active",
                "first_seen",
                "last_seen",
            ],
        )


def split_corroboration(apps: Any, schema_editor: Any) -> None:
    """Back to one row per source: each corroborating source gets its row again."""
    AlertAsset = apps.get_model("vulns", "AlertAsset")
    rows = AlertAsset.objects.using(schema_editor.connection.alias)
    for row in list(rows.exclude(corroboration=[])):
        for match in stored_matches(row, "", "")[1:]:
            rows.create(
                alert_id=row.alert_id,
                asset_id=row.asset_id,
                source=match.source,
                confidence=match.confidence,
                reason=match.reason,
                criterion=match.criterion,
                version_range=match.version_range,
                priority=row.priority,
                decision=row.decision,
                active=row.active,
                suppressed_by=row.suppressed_by,
                first_seen=row.first_seen,
                last_seen=row.last_seen,
            )
        row.corroboration = []
        row.save(update_fields=["corroboration"])


class Migration(migrations.Migration):
    dependencies = [("vulns", "0002_alertasset_corroboration")]

    operations = [migrations.RunPython(merge_duplicates, split_corroboration)]

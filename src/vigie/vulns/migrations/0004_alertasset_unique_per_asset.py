"""One AlertAsset row per (alert, asset), enforced (schema only; 0003 merged the data)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("vulns", "0003_alertasset_merge_per_asset")]

    operations = [
        migrations.AddConstraint(
            model_name="alertasset",
            constraint=models.UniqueConstraint(
                fields=("alert", "asset"), name="alert_asset_unique_per_asset"
            ),
        ),
    ]

"""AlertAsset gets `corroboration` and loses its one-row-per-source constraint (schema only).

The data are merged in 0003 and the (alert, asset) constraint comes in 0004, each migration in
its own transaction: PostgreSQL refuses to alter a table while rows written in the same
transaction still have deferred foreign-key checks pending, so schema and data never mix.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("vulns", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="alertasset",
            name="corroboration",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RemoveConstraint(model_name="alertasset", name="alert_asset_unique_per_source"),
    ]

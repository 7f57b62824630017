"""Indicators get a stored STIX id (served over TAXII) and an index for TAXII's keyset pages."""

import uuid
from typing import Any

from django.db import migrations, models


def give_each_indicator_a_stix_id(apps: Any, schema_editor: Any) -> None:
    indicator = apps.get_model("intel", "Indicator")
    rows = list(indicator.objects.filter(stix_id__isnull=True).only("pk"))
    for row in rows:
        row.stix_id = uuid.uuid4()
    indicator.objects.bulk_update(rows, ["stix_id"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("intel", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="indicator",
            name="stix_id",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(give_each_indicator_a_stix_id, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="indicator",
            name="stix_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AddIndex(
            model_name="indicator",
            index=models.Index(fields=["updated_at", "id"], name="indicator_added_idx"),
        ),
    ]

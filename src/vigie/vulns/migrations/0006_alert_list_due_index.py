"""The alert list sorts an establishment's open alerts by due date: an index for that order."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("vulns", "0005_crash_safe_matching")]

    operations = [
        migrations.AddIndex(
            model_name="alert",
            index=models.Index(
                fields=["organisation", "state", "remediation_due_at"], name="alert_list_due_idx"
            ),
        ),
    ]

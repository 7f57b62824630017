"""Alert timeline events keep codes, not sentences.

Until now the platform stored two sentences on its own events, in the language of whoever
triggered them (a French worker wrote "3 actif(s) concerné(s)" that English readers then saw):
"created" events get their asset count as a parameter instead, and "withdrawn" events lose the
sentence that their kind's label now says in each reader's language.
"""

import re


from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

LEADING_COUNT = re.compile(r"^\s*(\d+)\b")


def codes_not_sentences(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    AlertEvent = apps.get_model("vulns", "AlertEvent")
    for event in AlertEvent.objects.filter(kind="created").exclude(message="").iterator():
        found = LEADING_COUNT.match(event.message)
        details = dict(event.details or {})
        if found:
            details.setdefault("assets_count", int(found.group(1)))
        event.details = details
        event.message = ""
        event.save(update_fields=["details", "message"])
    AlertEvent.objects.filter(kind="withdrawn", actor__isnull=True).update(message="")


class Migration(migrations.Migration):
    dependencies = [
        ("vulns", "0007_alertasset_reason_parts_alert_assignee"),
    ]

    operations = [
        migrations.RunPython(codes_not_sentences, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="alertevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("created", "Alert raised"),
                    ("assets_added", "Assets added"),
                    ("priority_raised", "Priority raised"),
                    ("priority_lowered", "Priority lowered"),
                    ("reopened", "Reopened"),
                    ("closed_by_vex", "Closed by a VEX statement"),
                    ("no_longer_affected", "No asset affected any more"),
                    ("withdrawn", "Withdrawn: the CVE was rejected by its numbering authority"),
                    ("state_changed", "State changed"),
                    ("assigned", "Assigned"),
                    ("comment", "Comment"),
                    ("escalated", "Escalated"),
                ],
                max_length=24,
            ),
        ),
    ]

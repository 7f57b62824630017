"""The set form, the status upload and the restore-test form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vigie.backups.models import BackupSet, RestoreResult, RestoreTest
from vigie.inventory.models import Asset
from vigie.tenancy.models import Organisation

KIND_CHOICES = [
    ("auto", _("Detect from the file")),
    ("backup", _("restic backup --json")),
    ("snapshots", _("restic snapshots --json")),
    ("info", _("borg info --json")),
    ("list", _("borg list --json")),
    ("check", _("check (restic or borg): give its exit code")),
]


class BackupSetForm(forms.ModelForm[BackupSet]):
    assets = forms.ModelMultipleChoiceField(
        label=_("Assets of the inventory"),
        queryset=Asset.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    class Meta:
        model = BackupSet
        fields = [
            "system",
            "tool",
            "schedule",
            "rpo_hours",
            "rto_hours",
            "copies_count",
            "media_count",
            "offsite",
            "offline_or_immutable",
            "restore_test_every_days",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assets"]
        if isinstance(field, forms.ModelMultipleChoiceField):
            field.queryset = Asset.objects.filter(organisation=organisation).order_by("name")
        if self.instance.pk is not None:
            self.initial["assets"] = list(self.instance.assets.values_list("pk", flat=True))
        self.fields["schedule"].help_text = _("For example: every night at 01:00, hourly.")


class UploadForm(forms.Form):
    # A check that found nothing may print nothing (borg check): an empty file is read.
    file = forms.FileField(label=_("Status file"), allow_empty_file=True)
    kind = forms.ChoiceField(label=_("What the file is"), choices=KIND_CHOICES, initial="auto")
    exit_code = forms.IntegerField(
        label=_("Exit code of the check"),
        required=False,
        min_value=0,
        max_value=255,
        help_text=_("Only for a check: 0 means no error."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == "check" and data.get("exit_code") is None:
            self.add_error("exit_code", _("Give the exit code of the check."))
        return data


class RestoreTestForm(forms.ModelForm[RestoreTest]):
    class Meta:
        model = RestoreTest
        fields = ["tested_on", "duration_minutes", "result", "restored", "performed_by"]
        widgets = {"tested_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["result"].initial = RestoreResult.SUCCESS
        self.fields["tested_on"].initial = timezone.localdate()

    def clean_tested_on(self) -> Any:
        value = self.cleaned_data["tested_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The date of a test cannot be in the future."))
        return value

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vigie.core.forms import model_choices
from vigie.phishing import lures
from vigie.phishing.models import DEFAULT_RATE, MAX_RATE, RecipientList, Source
from vigie.phishing.recipients import MAX_BYTES
from vigie.tenancy.models import CareUnit, Organisation

LANGUAGE_CHOICES = [("fr", _("French")), ("en", _("English"))]


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    template = forms.ChoiceField(label=_("Message"), choices=lures.choices)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)
    sender_name = forms.CharField(
        label=_("Sender display name"),
        max_length=100,
        help_text=_(
            "Shown as the signature. The sender address stays the platform's own: a simulation "
            "never imitates a real domain."
        ),
    )
    source = forms.ChoiceField(
        label=_("Recipients"), choices=Source.choices, widget=forms.RadioSelect
    )
    care_unit = forms.ModelChoiceField(
        label=_("Only the members of this care unit"),
        queryset=CareUnit.objects.none(),
        required=False,
        empty_label=_("All members"),
    )
    recipient_list = forms.ModelChoiceField(
        label=_("Uploaded list"), queryset=RecipientList.objects.none(), required=False
    )
    rate = forms.IntegerField(
        label=_("Messages per minute"),
        min_value=1,
        max_value=MAX_RATE,
        initial=DEFAULT_RATE,
        help_text=_("At most %(max)s.") % {"max": MAX_RATE},
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choices(self, "care_unit").queryset = CareUnit.objects.filter(
            organisation=organisation
        )
        model_choices(self, "recipient_list").queryset = RecipientList.objects.filter(
            organisation=organisation
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("source") == Source.LIST and data.get("recipient_list") is None:
            self.add_error("recipient_list", _("Choose the uploaded list."))
        return data


class ListUploadForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns email, name (optional) and service; UTF-8, comma or semicolon, at most 1 MiB. "
            "Every address must be in a domain your members already use."
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MiB."))
        return upload

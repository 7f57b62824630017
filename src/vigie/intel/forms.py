from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vigie.intel.models import IndicatorType, Tlp


class IndicatorImportForm(forms.Form):
    file = forms.FileField(
        label=_("Indicator file"),
        help_text=_(
            "STIX 2.1 bundle, MISP event JSON, CSV with a type,value header (optional columns "
            "id, tlp, tags, valid_until, source) or a plain list, one value per line."
        ),
    )
    tlp = forms.ChoiceField(
        label=_("TLP marking"),
        choices=Tlp.choices,
        initial=Tlp.AMBER,
        help_text=_("For the indicators whose file gives no marking of its own."),
    )
    source = forms.CharField(
        label=_("Source"),
        required=False,
        max_length=200,
        help_text=_("Who published it, as readers should see it (default: the file's name)."),
    )


class IndicatorFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("All")), *IndicatorType.choices]
    )
    tlp = forms.ChoiceField(label=_("TLP"), required=False, choices=[("", _("All")), *Tlp.choices])
    active = forms.BooleanField(
        label=_("Active only (not expired, revoked or on a warning list)"), required=False
    )

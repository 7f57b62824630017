from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vigie.core.forms import choice_field, model_choices
from vigie.engines.inventory.common import (
    AssetDefaults,
    InventoryLimits,
    check_cpe,
    check_purl,
    split_identifiers,
)
from vigie.inventory.imports import asset_defaults
from vigie.inventory.models import Asset, AssetKind, Criticality, Exposure


class IdentifierListField(forms.CharField):
    """CPE names or purls, one per line (or separated by spaces or |), each validated."""

    def __init__(self, *, check: Any, **kwargs: Any) -> None:
        self.check = check
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value) or ""
        items = split_identifiers(text.replace("\n", " "))
        problems = [f"{item}: {problem}" for item in items if (problem := self.check(item))]
        if problems:
            raise forms.ValidationError(problems)
        return items


class AssetForm(forms.ModelForm[Asset]):
    cpes = IdentifierListField(check=check_cpe, label=_("CPE names"))
    purls = IdentifierListField(check=check_purl, label=_("Package URLs (purl)"))

    class Meta:
        model = Asset
        fields = [
            "external_id",
            "name",
            "kind",
            "vendor",
            "product",
            "version",
            "cpes",
            "purls",
            "parent",
            "location",
            "criticality",
            "exposure",
            "owner",
            "end_of_support",
        ]
        widgets = {"end_of_support": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, organisation: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parent = model_choices(self, "parent")
        # Only the establishment's own assets, and never the asset itself.
        parent.queryset = Asset.objects.filter(organisation=organisation).exclude(
            pk=self.instance.pk
        )
        self.organisation = organisation

    def clean_external_id(self) -> str:
        value: str = self.cleaned_data["external_id"].strip()
        clash = Asset.objects.filter(organisation=self.organisation, external_id=value).exclude(
            pk=self.instance.pk
        )
        if clash.exists():
            raise forms.ValidationError(_("Another asset has this identifier."))
        return value

    def clean_parent(self) -> Asset | None:
        parent: Asset | None = self.cleaned_data.get("parent")
        node = parent
        seen: set[int] = set()
        while node is not None and self.instance.pk is not None:
            if node.pk == self.instance.pk:
                raise forms.ValidationError(_("An asset cannot run on itself or on its own parts."))
            if node.pk in seen:
                break
            seen.add(node.pk)
            node = node.parent
        return parent


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Inventory file"),
        help_text=_(
            "CSV (id,name,kind,vendor,product,version,cpe,purl,parent,criticality,exposure,"
            "location), CycloneDX JSON 1.4–1.6 or SPDX 2.3 JSON."
        ),
    )
    medical_device = forms.BooleanField(
        label=_("This SBOM describes a medical device"),
        required=False,
        help_text=_("The SBOM's main component is then recorded as a medical device."),
    )
    # An SBOM says what is in a device, never where it is nor what it keeps alive: without
    # these its assets would stay with no care unit and an unknown clinical weight.
    location = forms.CharField(
        label=_("Care unit for the whole file"),
        required=False,
        max_length=InventoryLimits().max_location_chars,
        help_text=_(
            "Given to every asset the file does not place itself: an SBOM says what is in a "
            "device, not where it is."
        ),
    )
    criticality = forms.ChoiceField(
        label=_("Clinical criticality"),
        required=False,
        help_text=_(
            "Given to every asset the file does not rate itself: an SBOM does not say what a "
            "device keeps alive."
        ),
    )
    exposure = forms.ChoiceField(
        label=_("Exposure"),
        required=False,
        help_text=_("Given to every asset the file does not describe itself."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.asset_defaults: AssetDefaults | None = None
        unknown = [("", _("Leave unknown"))]
        choice_field(self, "criticality").choices = unknown + list(Criticality.choices)
        choice_field(self, "exposure").choices = unknown + list(Exposure.choices)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            self.asset_defaults = asset_defaults(
                location=cleaned.get("location") or "",
                criticality=cleaned.get("criticality") or "",
                exposure=cleaned.get("exposure") or "",
            )
        except forms.ValidationError as error:
            self.add_error(None, error)
        return cleaned

    def defaults(self) -> AssetDefaults | None:
        """What the file's assets get where they say nothing (after is_valid())."""
        return self.asset_defaults


class AssetFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    criticality = forms.ChoiceField(label=_("Clinical criticality"), required=False)
    exposure = forms.ChoiceField(label=_("Exposure"), required=False)
    location = forms.CharField(label=_("Care unit"), required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        choice_field(self, "kind").choices = everything + list(AssetKind.choices)
        choice_field(self, "criticality").choices = everything + list(Criticality.choices)
        choice_field(self, "exposure").choices = everything + list(Exposure.choices)


class CpeChoiceForm(forms.Form):
    part = forms.ChoiceField(choices=[("a", "a"), ("o", "o"), ("h", "h")])
    vendor = forms.RegexField(regex=r"^[A-Za-z0-9._\-\\!~]{1,100}$", max_length=100)
    product = forms.RegexField(regex=r"^[A-Za-z0-9._\-\\!~]{1,150}$", max_length=150)

"""The declaration form (sections a phone can fill in a few minutes) and the case's small
forms. Times are typed in the reader's own time zone (the middleware activates it) and
stored in UTC."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vigie.incidents.labels import OBLIGATIONS
from vigie.incidents.models import Incident, Pap, Phase, Severity
from vigie.intel.models import Tlp
from vigie.inventory.models import Asset
from vigie.tenancy.models import Organisation

MAX_ASSET_LINES = 200


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


def _time_field(label: Any, help_text: Any = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        widget=LocalDateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        help_text=help_text,
    )


# The declaration's sections, in the order of the form: (legend, fields).
SECTIONS: list[tuple[Any, list[str]]] = [
    (
        _("What happened"),
        ["title", "category", "origin", "description", "assets_text", "support_requested"],
    ),
    (
        _("When"),
        ["first_malicious_at", "detected_at", "aware_at", "contained_at", "recovered_at"],
    ),
    (
        _("Patients"),
        [
            "degraded_mode",
            "degraded_from",
            "degraded_until",
            "degraded_units",
            "care_is_interrupted",
            "emergency",
            "plan_blanc",
            "transfers_adult",
            "transfers_paediatric",
            "transfers_intensive",
            "transfers_neonatal",
            "deprogrammed_interventions",
            "deprogrammed_consultations",
            "life_support_affected",
            "medical_devices_affected",
            "delayed_care",
            "endangerment",
        ],
    ),
    (
        _("Data"),
        [
            "availability",
            "integrity",
            "confidentiality",
            "personal_data",
            "health_data",
            "people_categories",
            "people_count",
            "records_count",
            "high_risk_to_people",
            "not_notified_reason",
            "late_reasons",
        ],
    ),
    (
        _("Ransom and leak"),
        [
            "ransom_demanded",
            "ransom_paid",
            "ransom_amount",
            "ransom_currency",
            "threat_actor",
            "leak_site",
        ],
    ),
    (
        _("For the NIS2 reports"),
        ["suspected_malicious", "cross_border", "intermediate_requested_due"],
    ),
]
TIME_FIELDS = (
    "first_malicious_at",
    "detected_at",
    "aware_at",
    "contained_at",
    "recovered_at",
    "degraded_from",
    "degraded_until",
    "intermediate_requested_due",
)
MODEL_FIELDS = [name for _legend, names in SECTIONS for name in names if name != "assets_text"]


class IncidentForm(forms.ModelForm[Incident]):
    assets_text = forms.CharField(
        label=_("Affected assets"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: the asset's identifier or its exact name in your inventory."),
        max_length=20_000,
    )

    class Meta:
        model = Incident
        fields = MODEL_FIELDS
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "not_notified_reason": forms.Textarea(attrs={"rows": 2}),
            "late_reasons": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "aware_at": _(
                "When you had reasonable certainty of an incident: the NIS2 and GDPR clocks "
                "start here."
            ),
            "not_notified_reason": _(
                "A breach not notified to the CNIL stays in your register with this reason."
            ),
        }

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        for name in TIME_FIELDS:
            field = self.fields[name]
            self.fields[name] = _time_field(field.label, field.help_text)
        if self.instance.pk and not self.is_bound:
            self.initial["assets_text"] = "\n".join(
                a.external_id or a.name for a in self.instance.assets.order_by("name")
            )
        self.assets: list[Asset] = []

    def clean_assets_text(self) -> str:
        text: str = self.cleaned_data.get("assets_text", "")
        wanted = [line.strip() for line in text.splitlines() if line.strip()]
        if len(wanted) > MAX_ASSET_LINES:
            raise forms.ValidationError(
                _("At most %(limit)s assets here; attach a list as evidence for more."),
                params={"limit": MAX_ASSET_LINES},
            )
        found: list[Asset] = []
        missing: list[str] = []
        for value in dict.fromkeys(wanted):
            asset = (
                Asset.objects.filter(organisation=self.organisation)
                .filter(Q(external_id=value) | Q(name__iexact=value))
                .order_by("pk")
                .first()
            )
            if asset is None:
                missing.append(value)
            else:
                found.append(asset)
        if missing:
            raise forms.ValidationError(
                _("Not in your inventory: %(values)s"),
                params={"values": ", ".join(v[:80] for v in missing[:10])},
            )
        self.assets = found
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        now = timezone.now()
        for name in TIME_FIELDS:
            value = data.get(name)
            if name != "intermediate_requested_due" and value is not None and value > now:
                self.add_error(name, _("This time is in the future."))
        order = [
            ("first_malicious_at", "detected_at"),
            ("detected_at", "contained_at"),
            ("aware_at", "contained_at"),
            ("contained_at", "recovered_at"),
            ("degraded_from", "degraded_until"),
        ]
        for earlier, later in order:
            a, b = data.get(earlier), data.get(later)
            if a is not None and b is not None and b < a:
                self.add_error(
                    later,
                    _("This time is before “%(other)s”.") % {"other": self.fields[earlier].label},
                )
        if data.get("ransom_paid") and not data.get("ransom_demanded"):
            self.add_error("ransom_paid", _("A ransom paid was demanded: tick “ransom demanded”."))
        if data.get("high_risk_to_people") and not data.get("personal_data"):
            self.add_error(
                "high_risk_to_people", _("Only a breach of personal data puts people at this risk.")
            )
        return data

    def model_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in MODEL_FIELDS}


class TriageForm(forms.Form):
    severity = forms.TypedChoiceField(
        label=_("Severity"),
        choices=[("", _("Not set")), *Severity.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    major = forms.BooleanField(label=_("Major incident"), required=False)
    tlp = forms.ChoiceField(label=_("TLP"), choices=Tlp.choices)
    pap = forms.ChoiceField(label=_("PAP"), choices=Pap.choices)
    analysts = forms.MultipleChoiceField(label=_("Analysts"), required=False)

    def __init__(self, *args: Any, analysts: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["analysts"]
        if isinstance(field, forms.MultipleChoiceField):
            field.choices = analysts


class PhaseForm(forms.Form):
    phase = forms.ChoiceField(label=_("Phase"), choices=Phase.choices)


class EntryForm(forms.Form):
    text = forms.CharField(
        label=_("Text"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    at = _time_field(_("When it happened (empty: now)"))
    kind = forms.ChoiceField(
        choices=[("note", _("Log entry")), ("comment", _("Comment"))], initial="note"
    )


class TaskForm(forms.Form):
    title = forms.CharField(label=_("New task"), max_length=200)
    phase = forms.ChoiceField(
        label=_("Phase"),
        choices=[(v, label) for v, label in Phase.choices if v not in ("declared", "closed")],
    )


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("File"), allow_empty_file=True)
    description = forms.CharField(label=_("Description"), max_length=500, required=False)


class SubmissionForm(forms.Form):
    code = forms.ChoiceField(label=_("Report"), choices=[(k, v) for k, v in OBLIGATIONS.items()])
    channel = forms.CharField(label=_("Sent to"), max_length=200)
    reference = forms.CharField(label=_("Authority's reference"), max_length=200, required=False)
    submitted_at = _time_field(_("Sent at (empty: now)"))

    def clean_submitted_at(self) -> datetime | None:
        value: datetime | None = self.cleaned_data.get("submitted_at")
        if value is not None and value > timezone.now():
            raise forms.ValidationError(_("This time is in the future."))
        return value


class ShareForm(forms.Form):
    indicators = forms.CharField(
        label=_("Indicators found in the case"),
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        max_length=1_000_000,
        help_text=_(
            "One per line: domains, addresses, URLs, hashes, e-mail addresses (defanged values "
            "are accepted). They are published by the centre, never naming the establishment."
        ),
    )
    tlp = forms.ChoiceField(label=_("Share under"), choices=Tlp.choices, initial=Tlp.AMBER)

"""The forms of care units and continuity plans: the plan's own fields, and one small form per
kind of row (contact, paper form, critical process, mutual aid), each added on its own."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vigie.continuity.models import (
    Contact,
    ContinuityPlan,
    CriticalProcess,
    MutualAid,
    PaperForm,
    Provision,
)
from vigie.tenancy.models import CareUnit, Membership

# A phone number as people write it: digits with spaces, dots, dashes or brackets, an optional
# leading "+"; from 2 digits (15, the SAMU) to 15 (E.164).
_PHONE = re.compile(r"^\+?[0-9][0-9 .()\-]*$")


def clean_phone(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        return value
    digits = sum(ch.isdigit() for ch in value)
    if not _PHONE.match(value) or not 2 <= digits <= 15:
        raise ValidationError(
            _(
                "“%(value)s” is not a phone number: digits, spaces, dots or dashes, "
                "an optional leading +."
            ),
            params={"value": value[:40]},
            code="bad_phone",
        )
    return value


def not_in_future(value: date | None) -> date | None:
    if value is not None and value > timezone.localdate():
        raise ValidationError(_("This date is in the future."), code="future")
    return value


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class UnitForm(forms.ModelForm[CareUnit]):
    class Meta:
        model = CareUnit
        fields = ["name", "code"]
        help_texts = {"code": _("Optional: the unit's code in your organisation (UF, pôle…).")}

    def validate_unique(self) -> None:
        """Uniqueness is checked by the action, within the establishment."""


class MemberUnitForm(forms.Form):
    membership = forms.TypedChoiceField(label=_("Member"), coerce=int)
    unit = forms.TypedChoiceField(
        label=_("Care unit"), coerce=int, required=False, empty_value=None
    )

    def __init__(
        self, *args: Any, members: list[Membership], units: list[CareUnit], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        member_field = self.fields["membership"]
        unit_field = self.fields["unit"]
        if isinstance(member_field, forms.ChoiceField) and isinstance(
            unit_field, forms.ChoiceField
        ):
            member_field.choices = [
                (m.pk, m.user.get_full_name() or m.user.get_username()) for m in members
            ]
            unit_field.choices = [("", _("— no unit —"))] + [(u.pk, u.name) for u in units]


class PlanForm(forms.ModelForm[ContinuityPlan]):
    class Meta:
        model = ContinuityPlan
        fields = [
            "admission_procedure",
            "prescription_procedure",
            "kit_location",
            "kit_contents",
            "kit_checked_on",
            "review_every_months",
        ]
        widgets = {
            "admission_procedure": forms.Textarea(attrs={"rows": 6}),
            "prescription_procedure": forms.Textarea(attrs={"rows": 6}),
            "kit_contents": forms.Textarea(attrs={"rows": 3}),
            "kit_checked_on": DateInput(),
        }
        help_texts = {
            "admission_procedure": _(
                "Who admits, how patients are identified (paper wristbands, provisional "
                "numbers), how their stay is followed until the system is back."
            ),
            "prescription_procedure": _(
                "How prescriptions are written and carried, how results reach the unit "
                "(phone, runner, fax)."
            ),
            "review_every_months": _("From 1 to 36 months; 12 is the usual period."),
        }

    def clean_kit_checked_on(self) -> date | None:
        return not_in_future(self.cleaned_data.get("kit_checked_on"))

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class RowForm(forms.ModelForm[Any]):
    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields or ()}


class ContactForm(RowForm):
    prefix = "contact"

    class Meta:
        model = Contact
        fields = ["name", "function", "phone", "alternate_phone", "when_to_call"]
        widgets = {
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            "alternate_phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        }

    def clean_phone(self) -> str:
        return clean_phone(self.cleaned_data.get("phone", ""))

    def clean_alternate_phone(self) -> str:
        return clean_phone(self.cleaned_data.get("alternate_phone", ""))


class PaperFormForm(RowForm):
    prefix = "form"

    class Meta:
        model = PaperForm
        fields = ["name", "kept_at"]


class ProcessForm(RowForm):
    prefix = "process"

    class Meta:
        model = CriticalProcess
        fields = ["name", "rto_hours", "workaround", "depends_on"]
        widgets = {"workaround": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "rto_hours": _("How long the process may stop, in hours (0 to 8760)."),
            "depends_on": _("The applications and systems it needs, in free text."),
        }


class AidForm(RowForm):
    prefix = "aid"
    provides = forms.MultipleChoiceField(
        label=_("What it provides"),
        choices=Provision.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = MutualAid
        fields = ["partner", "provides", "contact", "agreement_on", "tested_on"]
        widgets = {"agreement_on": DateInput(), "tested_on": DateInput()}

    def clean_agreement_on(self) -> date | None:
        return not_in_future(self.cleaned_data.get("agreement_on"))

    def clean_tested_on(self) -> date | None:
        return not_in_future(self.cleaned_data.get("tested_on"))


ROW_FORMS: dict[str, type[RowForm]] = {
    "contacts": ContactForm,
    "forms": PaperFormForm,
    "processes": ProcessForm,
    "aid": AidForm,
}

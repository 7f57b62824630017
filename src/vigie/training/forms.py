"""Forms: an assignment, and a module's quiz (built from the module's questions)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vigie.tenancy.models import CareUnit, Organisation
from vigie.tenancy.roles import OrgKind, role_choices
from vigie.training.models import TrainingModule
from vigie.training.progress import visible_modules


class ModuleChoice(forms.ModelChoiceField[TrainingModule]):
    def label_from_instance(self, obj: TrainingModule) -> str:
        return f"{obj.title} ({obj.minutes} min)"


class AssignmentForm(forms.Form):
    module = ModuleChoice(label=_("Module"), queryset=TrainingModule.objects.none())
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every role."),
    )
    care_units = forms.ModelMultipleChoiceField(
        label=_("Care units"),
        queryset=CareUnit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every care unit, and the people without one."),
    )
    due_on = forms.DateField(label=_("Due on"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        module_field = self.fields["module"]
        units_field = self.fields["care_units"]
        roles_field = self.fields["roles"]
        if isinstance(module_field, ModuleChoice):
            module_field.queryset = visible_modules(organisation)
        if isinstance(units_field, forms.ModelMultipleChoiceField):
            units_field.queryset = CareUnit.objects.filter(organisation=organisation)
        if isinstance(roles_field, forms.MultipleChoiceField):
            roles_field.choices = role_choices(OrgKind.ESTABLISHMENT)

    def clean_due_on(self) -> date:
        due: date = self.cleaned_data["due_on"]
        if due < timezone.localdate():
            raise forms.ValidationError(_("The due date is in the past."))
        return due


class QuizForm(forms.Form):
    """One field per question, named after its id; the choices are the module's own, so an
    unknown choice id is an ordinary "not one of the choices" error."""

    version = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, module: TrainingModule, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.module = module
        self.fields["version"].initial = module.version
        self.questions = module.questions
        for question in self.questions:
            choices = [(c["id"], c["text"]) for c in question["choices"]]
            multiple = sum(1 for c in question["choices"] if c.get("correct")) > 1
            field: forms.Field
            if multiple:
                field = forms.MultipleChoiceField(
                    label=question["text"],
                    choices=choices,
                    widget=forms.CheckboxSelectMultiple,
                    help_text=_("Tick every right answer."),
                    error_messages={"required": _("Tick at least one answer.")},
                )
            else:
                field = forms.ChoiceField(
                    label=question["text"],
                    choices=choices,
                    widget=forms.RadioSelect,
                    error_messages={"required": _("Choose an answer.")},
                )
            self.fields[self.field_name(question["id"])] = field

    @staticmethod
    def field_name(question_id: str) -> str:
        return f"q_{question_id}"

    def clean_version(self) -> str:
        version: str = self.cleaned_data["version"]
        if version != self.module.version:
            raise forms.ValidationError(
                _("This module was updated while you answered: read it again and answer anew.")
            )
        return version

    def answers(self) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {}
        for question in self.questions:
            value = self.cleaned_data.get(self.field_name(question["id"]))
            if isinstance(value, str):
                result[question["id"]] = [value]
            elif isinstance(value, list):
                result[question["id"]] = [str(v) for v in value]
        return result

    def groups(self) -> list[dict[str, Any]]:
        """What the template walks: each question's bound field, and whether it has boxes."""
        return [
            {
                "question": q,
                "field": self[self.field_name(q["id"])],
                "multiple": isinstance(
                    self.fields[self.field_name(q["id"])], forms.MultipleChoiceField
                ),
            }
            for q in self.questions
        ]

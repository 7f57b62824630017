"""The exercise's forms. Times are typed in the reader's zone (the middleware activates it)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vigie.exercises.models import (
    Exercise,
    Inject,
    LessonKind,
    ObservationKind,
    ParticipantRole,
)
from vigie.exercises.scenarios import template_choices
from vigie.incidents.forms import LocalDateTimeInput
from vigie.tenancy.models import Membership, Organisation


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def member_choices(organisation: Organisation) -> list[tuple[str, str]]:
    members = (
        Membership.objects.filter(organisation=organisation, user__is_active=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    )
    return [
        (str(m.pk), f"{m.user.get_full_name() or m.user.get_username()} ({m.get_role_display()})")
        for m in members
    ]


def _member_field(label: Any, help_text: Any = "") -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label, required=False, coerce=int, empty_value=None, help_text=help_text
    )


def _set_choices(form: forms.BaseForm, name: str, choices: list[tuple[str, Any]]) -> None:
    field = form.fields[name]
    if isinstance(field, forms.ChoiceField):
        field.choices = choices


class ExerciseForm(forms.ModelForm[Exercise]):
    class Meta:
        model = Exercise
        fields = ["title", "kind", "planned_for", "scenario", "objectives"]
        widgets = {
            "planned_for": DateInput(),
            "scenario": forms.Textarea(attrs={"rows": 5}),
            "objectives": forms.Textarea(attrs={"rows": 3}),
        }


class NewExerciseForm(ExerciseForm):
    template = forms.ChoiceField(
        label=_("Start from"),
        required=False,
        help_text=_(
            "A scenario template fills the scenario, the objectives and the timeline of injects "
            "(in your language); you can change them all afterwards."
        ),
    )

    class Meta(ExerciseForm.Meta):
        fields = ["template", "title", "kind", "planned_for", "scenario", "objectives"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title"].required = False
        self.fields["title"].help_text = _("Empty: the template's title.")
        _set_choices(self, "template", [("", _("A blank exercise")), *template_choices()])
        self.order_fields(["template", "title", "kind", "planned_for", "scenario", "objectives"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("title") and not data.get("template"):
            self.add_error("title", _("Give a title, or start from a template."))
        return data


class InjectForm(forms.ModelForm[Inject]):
    class Meta:
        model = Inject
        fields = ["offset_minutes", "title", "channel", "content", "expected_reaction"]
        widgets = {
            "content": forms.Textarea(attrs={"rows": 2}),
            "expected_reaction": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {"offset_minutes": _("T+ in minutes: 0 is the start of the exercise.")}


class ParticipantForm(forms.Form):
    role = forms.ChoiceField(label=_("Role in the exercise"), choices=ParticipantRole.choices)
    member = _member_field(_("Member of the establishment"))
    name = forms.CharField(
        label=_("Or, someone from outside: name"),
        max_length=200,
        required=False,
        help_text=_("ARS, préfecture, SAMU, a neighbouring hospital…"),
    )
    function = forms.CharField(label=_("Function"), max_length=200, required=False)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "member", [("", "—"), *member_choices(organisation)])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("member") is None) == (not data.get("name", "").strip()):
            self.add_error("name", _("Choose a member or give a name: one of them."))
        return data


class ObservationForm(forms.Form):
    text = forms.CharField(
        label=_("What you saw"),
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 2, "autofocus": True}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=ObservationKind.choices, initial=ObservationKind.FACT
    )
    inject = _member_field(_("About the inject"))
    at = forms.DateTimeField(
        label=_("When (empty: now)"),
        required=False,
        widget=LocalDateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )

    def __init__(self, *args: Any, injects: list[Inject], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(
            self,
            "inject",
            [("", "—"), *((str(i.pk), f"T+{i.offset_minutes} {i.title}") for i in injects)],
        )


class LessonForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=LessonKind.choices)
    text = forms.CharField(
        label=_("Lesson learned"), max_length=5_000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ActionForm(forms.Form):
    title = forms.CharField(label=_("Action"), max_length=300)
    owner = _member_field(_("Owner"))
    owner_name = forms.CharField(
        label=_("Or an owner who is not a member"), max_length=200, required=False
    )
    due_on = forms.DateField(label=_("Due date"), widget=DateInput())

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "owner", [("", "—"), *member_choices(organisation)])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("owner") is None) == (not data.get("owner_name", "").strip()):
            self.add_error("owner_name", _("Choose a member as owner or give a name: one of them."))
        return data


class CloseActionForm(forms.Form):
    note = forms.CharField(
        label=_("Closing note"),
        max_length=5_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

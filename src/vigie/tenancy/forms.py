from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from vigie.core.forms import choice_field
from vigie.tenancy.models import Organisation
from vigie.tenancy.roles import ROLES_BY_KIND, Role, role_choices


class OneErrorEmailField(forms.EmailField):
    """An e-mail field that reports only its first problem.

    Garbage such as "pas une adresse" repeated fails several validators at once (format and
    length); listing every one buries the point: it is not an address.
    """

    default_error_messages = {
        "invalid": _("Enter a valid e-mail address, such as name@hospital.fr."),
    }

    def run_validators(self, value: Any) -> None:
        if value in self.empty_values:
            return
        for validator in self.validators:
            try:
                validator(value)
            except ValidationError as error:
                if getattr(error, "code", None) == "invalid":
                    raise ValidationError(self.error_messages["invalid"], code="invalid") from None
                raise


class InviteForm(forms.Form):
    email = OneErrorEmailField(label=_("E-mail address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, kind: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "role").choices = role_choices(kind)
        # Least privilege by default: whoever invites picks a stronger role on purpose.
        if Role.VIEWER in ROLES_BY_KIND.get(kind, ()):
            self.fields["role"].initial = Role.VIEWER


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, kind: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "role").choices = role_choices(kind)


class OrganisationProfileForm(forms.ModelForm[Organisation]):
    class Meta:
        model = Organisation
        fields = ["name", "finess", "structure_type", "region", "ght", "nis2_class", "ose"]


class EstablishmentForm(forms.ModelForm[Organisation]):
    """Registration by a centre: the profile plus the short name used in addresses."""

    class Meta:
        model = Organisation
        fields = ["name", "slug", "finess", "structure_type", "region", "ght", "nis2_class", "ose"]
        help_texts = {
            "slug": _(
                "Letters, digits and hyphens; used in addresses. "
                "Leave empty to derive it from the name."
            )
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["structure_type"].required = True
        self.fields["region"].required = True

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data.get("slug") or slugify(self.cleaned_data.get("name", ""))[:60]
        if not slug:
            raise forms.ValidationError(_("Give a short name."), code="required")
        if Organisation.objects.filter(slug=slug).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("This short name is taken."), code="taken")
        return slug


class EstablishmentFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    structure_type = forms.ChoiceField(label=_("Structure type"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    nis2_class = forms.ChoiceField(label=_("NIS2 class"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        any_choice = [("", _("All"))]
        choice_field(self, "structure_type").choices = any_choice + list(
            Organisation._meta.get_field("structure_type").choices or []
        )
        choice_field(self, "region").choices = any_choice + list(
            Organisation._meta.get_field("region").choices or []
        )
        choice_field(self, "nis2_class").choices = any_choice + list(
            Organisation._meta.get_field("nis2_class").choices or []
        )

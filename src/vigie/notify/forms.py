"""Forms of the notification pages: e-mail and webhook channels, delivery log filters."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from vigie.inventory.models import AssetKind, Criticality
from vigie.notify import ssrf
from vigie.notify.events import event_label
from vigie.notify.filters import normalise_unit
from vigie.notify.models import Channel, DeliveryState
from vigie.tenancy.models import Organisation
from vigie.tenancy.roles import role_choices
from vigie.vulns.models import Priority

MAX_EXTRA_ADDRESSES = 20
MAX_CARE_UNITS = 30
FILTER_FIELDS = ["priorities", "care_units", "asset_kinds", "criticalities"]

_UNSAFE_MESSAGES = {
    "malformed": _("This is not a valid URL."),
    "scheme": _("Only https:// URLs are accepted."),
    "credentials": _("Do not put a user name or password in the URL."),
    "host": _("The URL has no host name."),
    "resolve": _("The host name %(detail)s does not resolve."),
    "address": _(
        "The URL leads to %(detail)s, an internal or reserved address. Ask the platform's "
        "operator to allow that network if the receiver really is internal."
    ),
}
_HTTP_ALLOWED_SCHEME_MESSAGE = _("Only http:// and https:// URLs are accepted.")


def unsafe_url_message(error: ssrf.UnsafeURL, *, http_allowed: bool) -> str:
    if error.code == "scheme" and http_allowed:
        return str(_HTTP_ALLOWED_SCHEME_MESSAGE)
    template = _UNSAFE_MESSAGES.get(error.code, _UNSAFE_MESSAGES["malformed"])
    return str(template) % {"detail": error.detail}


class EmailListField(forms.CharField):
    """Addresses, one per line (commas and spaces also separate), each validated."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value) or ""
        addresses: list[str] = []
        for item in text.replace(",", " ").replace(";", " ").split():
            if item.lower() not in {a.lower() for a in addresses}:
                addresses.append(item)
        problems = []
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                problems.append(_("%(address)s is not an e-mail address.") % {"address": address})
        if problems:
            raise ValidationError(problems)
        if len(addresses) > MAX_EXTRA_ADDRESSES:
            raise ValidationError(
                _("At most %(count)d addresses.") % {"count": MAX_EXTRA_ADDRESSES}
            )
        return addresses


class CareUnitListField(forms.CharField):
    """Care units, one per line (commas and semicolons also separate), as the inventory's
    location column writes them; compared without regard to case or repeated spaces."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value) or ""
        units: list[str] = []
        for line in text.replace(";", "\n").replace(",", "\n").splitlines():
            unit = " ".join(line.split())
            if unit and normalise_unit(unit) not in {normalise_unit(u) for u in units}:
                units.append(unit)
        if any(len(unit) > 200 for unit in units):
            raise ValidationError(_("A care unit name has at most 200 characters."))
        if len(units) > MAX_CARE_UNITS:
            raise ValidationError(_("At most %(count)d care units.") % {"count": MAX_CARE_UNITS})
        return units


def _choices_field(label: Any, help_text: Any, choices: Any, invalid: Any) -> Any:
    return forms.MultipleChoiceField(
        label=label,
        help_text=help_text,
        choices=choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": invalid},
    )


class ChannelFiltersMixin(forms.Form):
    """What a channel lets through; every filter left empty lets everything through."""

    priorities = _choices_field(
        _("Priorities"),
        _(
            "Only alerts of these SSVC priorities (Act is the most urgent). None ticked: every "
            "priority."
        ),
        Priority.choices,
        _("“%(value)s” is not a priority: choose among Act, Attend, Track* and Track."),
    )
    care_units = CareUnitListField(
        label=_("Care units"),
        help_text=_(
            "One per line, as the inventory's location column writes them (upper or lower case "
            "alike). Empty: every care unit."
        ),
    )
    asset_kinds = _choices_field(
        _("Asset kinds"),
        _("Only alerts on assets of these kinds. None ticked: every kind."),
        AssetKind.choices,
        _("“%(value)s” is not an asset kind."),
    )
    criticalities = _choices_field(
        _("Clinical criticalities"),
        _(
            "Only alerts on assets of these criticalities. None ticked: every asset, including "
            "those whose criticality is unknown."
        ),
        Criticality.choices,
        _("“%(value)s” is not a clinical criticality."),
    )


class EmailChannelForm(ChannelFiltersMixin, forms.ModelForm[Channel]):
    roles = forms.MultipleChoiceField(
        label=_("Roles that receive"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Every member having one of these roles receives, in their own language."),
    )
    extra_addresses = EmailListField(
        label=_("Other addresses"),
        help_text=_("Addresses outside the platform (a shared mailbox, the on-call phone)."),
    )

    class Meta:
        model = Channel
        fields = ["name", "enabled", "roles", "extra_addresses", *FILTER_FIELDS]

    def __init__(self, organisation: Organisation, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["roles"]).choices = role_choices(organisation.kind)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("roles") and not cleaned.get("extra_addresses"):
            raise ValidationError(_("Choose at least one role or give an address."))
        return cleaned


class WebhookChannelForm(ChannelFiltersMixin, forms.ModelForm[Channel]):
    url = forms.CharField(
        label=_("Receiver URL"),
        max_length=2000,
        widget=forms.URLInput(attrs={"spellcheck": "false"}),
        help_text=_(
            "Each event is POSTed there as JSON, signed with HMAC-SHA256 "
            "(X-Vigie-Signature header)."
        ),
    )

    class Meta:
        model = Channel
        fields = ["name", "enabled", "url", *FILTER_FIELDS]

    def __init__(self, organisation: Organisation, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation

    def clean_url(self) -> str:
        from django.conf import settings

        url = str(self.cleaned_data["url"]).strip()
        try:
            ssrf.check_url(url)
        except ssrf.UnsafeURL as exc:
            raise ValidationError(
                unsafe_url_message(exc, http_allowed=settings.VIGIE_WEBHOOK_ALLOW_HTTP),
                code=f"unsafe_{exc.code}",
            ) from None
        return url


class DeliveryFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All")), *DeliveryState.choices],
    )
    event = forms.ChoiceField(label=_("Event"), required=False, choices=[("", _("All"))])

    def __init__(self, events: list[str], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["event"]).choices = [
            ("", _("All")),
            *((e, event_label(e)) for e in events),
        ]

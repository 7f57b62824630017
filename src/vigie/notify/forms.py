"""Forms of the notification pages: e-mail and webhook channels, delivery log filters."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from vigie.notify import ssrf
from vigie.notify.models import Channel, DeliveryState
from vigie.tenancy.models import Organisation
from vigie.tenancy.roles import role_choices

MAX_EXTRA_ADDRESSES = 20

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


class EmailChannelForm(forms.ModelForm[Channel]):
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
        fields = ["name", "enabled", "roles", "extra_addresses"]

    def __init__(self, organisation: Organisation, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["roles"]).choices = role_choices(organisation.kind)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("roles") and not cleaned.get("extra_addresses"):
            raise ValidationError(_("Choose at least one role or give an address."))
        return cleaned


class WebhookChannelForm(forms.ModelForm[Channel]):
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
        fields = ["name", "enabled", "url"]

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
            *((e, e) for e in events),
        ]

"""Bulk actions on alerts: one decision and one justification, applied alert by alert.

Each state change goes through `alerting.transition`, the code path of the single-alert form,
so each alert gets its own timeline event and audit entry and the same rules apply (allowed
transitions, justification required for accepted risk and false positive).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigie.accounts.models import User
from vigie.audit.log import record as audit
from vigie.audit.models import Action
from vigie.core.forms import choice_field, model_choices
from vigie.tenancy.access import OrgAccess, scoped
from vigie.tenancy.models import Membership
from vigie.tenancy.roles import Cap, capabilities
from vigie.vulns import alerting
from vigie.vulns.models import Alert, AlertEvent, AlertState, EventKind

ACKNOWLEDGE = "acknowledge"
ASSIGN = "assign"
CHANGE_STATE = "state"


class MemberChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name()


class BulkForm(forms.Form):
    alerts = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Alerts"),
        queryset=Alert.objects.none(),
        error_messages={
            "required": gettext_lazy("Select at least one alert."),
            # Another establishment's alert reads exactly like one that does not exist.
            "invalid_choice": gettext_lazy("An alert you selected does not exist."),
            "invalid_pk_value": gettext_lazy("An alert you selected does not exist."),
        },
    )
    action = forms.ChoiceField(label=gettext_lazy("Action"))
    state = forms.ChoiceField(label=gettext_lazy("New state"), required=False)
    assignee = MemberChoiceField(
        label=gettext_lazy("Assign to"), queryset=User.objects.none(), required=False
    )
    justification = forms.CharField(
        label=gettext_lazy("Justification (one for all the selected alerts)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    back = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def __init__(self, *args: Any, access: OrgAccess, **kwargs: Any) -> None:
        # Its own ids: the filter form on the same page also has a "state" field.
        kwargs.setdefault("auto_id", "bulk_%s")
        super().__init__(*args, **kwargs)
        self.access = access
        model_choices(self, "alerts").queryset = scoped(access, Alert.objects.all())
        choice_field(self, "action").choices = [
            (ACKNOWLEDGE, _("Acknowledge")),
            (ASSIGN, _("Assign to a member")),
            (CHANGE_STATE, _("Change the state")),
        ]
        choice_field(self, "state").choices = [("", "—"), *AlertState.choices]
        model_choices(self, "assignee").queryset = handlers(access)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == CHANGE_STATE and not data.get("state"):
            self.add_error("state", _("Choose the new state."))
        if data.get("action") == ASSIGN and not data.get("assignee"):
            self.add_error("assignee", _("Choose the member to assign."))
        return data


def handlers(access: OrgAccess) -> Any:
    """Members of the establishment who may handle alerts: the only possible assignees."""
    kind = access.organisation.kind
    roles = [
        role
        for role in Membership.objects.filter(organisation=access.organisation)
        .values_list("role", flat=True)
        .distinct()
        if Cap.HANDLE_ALERTS in capabilities(kind, role)
    ]
    return User.objects.filter(
        memberships__organisation=access.organisation, memberships__role__in=roles
    ).order_by("username")


@dataclass
class BulkResult:
    changed: int = 0
    skipped: list[str] = field(default_factory=list)


class BulkRefused(Exception):
    """A rule refused the decision for every alert (the same justification is given to all)."""

    def __init__(self, error: ValidationError) -> None:
        super().__init__(error)
        self.error = error


def apply(*, access: OrgAccess, form: BulkForm, request: HttpRequest | None = None) -> BulkResult:
    """Apply a valid bulk form; all or nothing when a rule on the justification refuses."""
    access.require(Cap.HANDLE_ALERTS)
    data = form.cleaned_data
    action: str = data["action"]
    justification: str = data.get("justification") or ""
    result = BulkResult()
    alerts = list(data["alerts"].select_related("vulnerability").order_by("pk"))
    with transaction.atomic():
        for alert in alerts:
            if action == ASSIGN:
                assign(
                    access=access,
                    alert=alert,
                    to=data["assignee"],
                    note=justification,
                    request=request,
                )
                result.changed += 1
                continue
            to_state = AlertState.ACKNOWLEDGED if action == ACKNOWLEDGE else data["state"]
            try:
                alerting.transition(
                    access=access,
                    alert=alert,
                    to_state=to_state,
                    justification=justification,
                    request=request,
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    # A missing justification refuses them all alike: nothing is changed.
                    raise BulkRefused(error) from error
                # This alert's state does not allow the change (already acknowledged...).
                result.skipped.append(alert.vulnerability.vuln_id)
            else:
                result.changed += 1
    return result


def assign(
    *, access: OrgAccess, alert: Alert, to: User, note: str = "", request: HttpRequest | None
) -> None:
    """Make `to` the alert's assignee, on its timeline and in the audit log too."""
    access.require(Cap.HANDLE_ALERTS)
    if alert.organisation_id != access.organisation.pk:
        raise PermissionDenied("alert")
    alert.assignee = to
    alert.save(update_fields=["assignee", "updated_at"])
    AlertEvent.objects.create(
        alert=alert,
        at=timezone.now(),
        actor=access.user,
        kind=EventKind.ASSIGNED,
        message=note.strip()[:5000],
        details={
            "assignee": to.pk,
            "assignee_username": to.get_username(),
            "assignee_name": to.display_name(),
        },
    )
    audit(
        Action.ALERT_ASSIGNED,
        actor=access.user,
        organisation=access.organisation,
        target=alert,
        target_label=alert.vulnerability.vuln_id,
        request=request,
        details={"assignee": to.get_username(), "note": note.strip()[:500]},
    )

"""The "what to do" line of alert e-mails, rendered at send time in the recipient's language.

The payload names the alert (id and establishment); the advice is read when the message is
rendered, so a fix published between the event and the send is already in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from vigie.vulns.models import Alert
from vigie.vulns.remediation import summary_for

register = template.Library()


@register.simple_tag
def what_to_do(payload: Any) -> str:
    """One line ("Install a fixed version: 1.13."), or "" when the payload names no alert."""
    if not isinstance(payload, Mapping):
        return ""
    alert_id, organisation = payload.get("alert"), payload.get("organisation")
    if not isinstance(alert_id, int) or not isinstance(organisation, str):
        return ""
    # The payload was written by the platform for this establishment's own alert.
    alert = (
        Alert.objects.select_related("vulnerability")
        .filter(pk=alert_id, organisation__slug=organisation)
        .first()
    )
    if alert is None or not alert.is_open:
        return ""
    return summary_for(alert).headline()

"""What each delivery is about, in the reader's words.

The event codes (`alert.new`, `digest.daily`…) are an interface: webhook receivers and scripts
filter on them (docs/INTERFACES). Pages show the label and keep the code beside it for those who
configure such filters.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

TEST_EVENT = "test"

EVENT_LABELS: dict[str, Promise] = {
    "alert.new": _("New alert"),
    "alert.assets_added": _("More assets affected"),
    "alert.priority_raised": _("Priority raised"),
    "alert.reopened": _("Alert reopened"),
    "alert.withdrawn": _("Alert withdrawn"),
    "alert.escalated": _("Alert escalated"),
    "digest.daily": _("Daily digest"),
    "advisory.published": _("Advisory published"),
    "advisory.revised": _("Advisory revised"),
    "sighting.new": _("Indicator seen in your logs"),
    "sighting.reported": _("Sighting reported by an establishment"),
    "incident.declared": _("Incident declared by an establishment"),
    "incident.deadline": _("Incident reporting deadline"),
    "backup.problem": _("Backup problem"),
    "continuity.review_due": _("Continuity plan review due"),
    "exercise.action_due": _("Exercise action overdue"),
    "training.assigned": _("Training assigned to you"),
    "phishing.simulation": _("Phishing simulation message"),
    TEST_EVENT: _("Test message"),
}


def event_label(code: str) -> str:
    """The label of an event code; an unknown code (a later version's) is shown as it is."""
    label = EVENT_LABELS.get(code)
    return str(label) if label is not None else code

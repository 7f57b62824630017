"""An alert's timeline as its reader reads it: each event's label, states and details in the
reader's language, from the codes and parameters stored on the event (never a stored sentence).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vigie.vulns.models import AlertEvent, AlertState, EventKind, Priority

# Names listed in a line of the timeline; the rest is counted.
NAMES_SHOWN = 5


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    label: str
    actor: str  # display name, "" for the platform itself
    states: str  # "New → Acknowledged", or ""
    detail: str  # what the platform adds, in the reader's language
    note: str  # what a person wrote (justification, comment, assignment note)


def _label(choices: type[Any], code: str) -> str:
    try:
        return str(choices(code).label)
    except ValueError:  # a code from a later version: show it rather than nothing
        return code


def _names(names: Iterable[str]) -> str:
    names = list(names)
    shown = ", ".join(names[:NAMES_SHOWN])
    rest = len(names) - NAMES_SHOWN
    if rest > 0:
        shown += " " + ngettext("and %(count)d other", "and %(count)d others", rest) % {
            "count": rest
        }
    return shown


def _detail(event: AlertEvent) -> str:
    details = event.details if isinstance(event.details, dict) else {}
    kind = event.kind
    if kind == EventKind.CREATED and "assets_count" in details:
        count = int(details["assets_count"])
        return ngettext("%(count)d affected asset", "%(count)d affected assets", count) % {
            "count": count
        }
    if kind in (EventKind.ASSETS_ADDED, EventKind.REOPENED) and details.get("assets"):
        return _("assets: %(names)s") % {"names": _names(details["assets"])}
    if kind in (EventKind.PRIORITY_RAISED, EventKind.PRIORITY_LOWERED) and details.get("priority"):
        return _("%(before)s → %(after)s") % {
            "before": _label(Priority, str(details.get("previous", ""))),
            "after": _label(Priority, str(details["priority"])),
        }
    if kind == EventKind.ESCALATED:
        to = _("to the deputies") if details.get("level") == 1 else _("to the support centre")
        if details.get("recipients"):
            return _("%(to)s: %(names)s") % {"to": to, "names": _names(details["recipients"])}
        return to
    if kind == EventKind.ASSIGNED and details.get("assignee_username"):
        return _("to %(name)s") % {
            "name": details.get("assignee_name") or details["assignee_username"]
        }
    return ""


def entry(event: AlertEvent) -> TimelineEntry:
    states = ""
    if event.to_state:
        states = _("%(before)s → %(after)s") % {
            "before": _label(AlertState, event.from_state) if event.from_state else "—",
            "after": _label(AlertState, event.to_state),
        }
    return TimelineEntry(
        at=event.at,
        kind=event.kind,
        label=_label(EventKind, event.kind),
        actor=event.actor.display_name() if event.actor is not None else "",
        states=states,
        detail=_detail(event),
        note=event.message,
    )


def entries(events: Iterable[AlertEvent]) -> list[TimelineEntry]:
    return [entry(event) for event in events]

"""Filters of the notification e-mails: every word and date in the recipient's language and zone.

Payloads are JSON written when the event happens (dates as ISO strings, values as codes); the
e-mail transport renders them at send time inside the recipient's language and time zone
(transports/email.py), and these filters turn codes and dates into that reader's words.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import pgettext

from vigie.accounts.zones import TIME_ZONES
from vigie.intel.models import IndicatorType, LogType, Severity, Tlp
from vigie.inventory.models import AssetKind, Criticality
from vigie.vulns.models import Priority
from vigie.vulns.ssvc_text import explanation_lines

register = template.Library()


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_fixed_timezone(0))
    return timezone.localtime(moment)


@register.filter
def in_words(value: Any) -> str:
    """In the active zone: "Monday 7 December 2026, 14:19", "lundi 7 décembre 2026 à 14 h 19"."""
    moment = _moment(value)
    if moment is None:
        return ""
    # Translators: a PHP-style date format (Django's `date` filter); backslash escapes a letter.
    return date_format(moment, pgettext("date and time in words", "l j F Y, H:i"))


@register.filter
def day_in_words(value: Any) -> str:
    """The day in the active zone: "Saturday 5 December 2026", "samedi 5 décembre 2026"."""
    moment = _moment(value)
    day: date | None = moment.date() if moment is not None else None
    if day is None and isinstance(value, str):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return ""
    if day is None:
        return ""
    # Translators: a PHP-style date format (Django's `date` filter).
    return date_format(day, pgettext("day in words", "l j F Y"))


@register.simple_tag
def zone_name() -> str:
    """The active time zone as people name it ("Metropolitan France (Paris)")."""
    name = timezone.get_current_timezone_name()
    return str(dict(TIME_ZONES).get(name, name))


def _label(choices: list[tuple[str, Any]], value: Any) -> str:
    return str(dict(choices).get(str(value), value or ""))


@register.filter
def priority_label(value: Any) -> str:
    return _label(Priority.choices, value)


@register.filter
def kind_label(value: Any) -> str:
    return _label(AssetKind.choices, value)


@register.filter
def criticality_label(value: Any) -> str:
    return _label(Criticality.choices, value)


@register.filter
def log_type_label(value: Any) -> str:
    return _label(LogType.choices, value)


@register.filter
def indicator_type_label(value: Any) -> str:
    return _label(IndicatorType.choices, value)


@register.filter
def tlp_label(value: Any) -> str:
    return _label(Tlp.choices, value)


@register.filter
def severity_label(value: Any) -> str:
    return _label(Severity.choices, value)


@register.filter
def reasons(payload: Mapping[str, Any]) -> list[str]:
    """The SSVC explanation in the active language, from the reasons' codes when the payload
    has them (the English text of older payloads otherwise)."""
    return explanation_lines(
        {"reasons": payload.get("reasons") or [], "explanation": payload.get("explanation") or []}
    )

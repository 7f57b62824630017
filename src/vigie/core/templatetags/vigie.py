"""Small template filters shared by pages: priorities, and numbers and dates for the reader.

Numbers go through Django's localisation (`django.utils.formats`) in the active language, dates
in the active language and time zone (UserTimeZoneMiddleware, or the recipient's for e-mails):
"9,1", "1,2 %", "lundi 7 décembre 2026 à 14 h 19" in French; never a raw ISO timestamp.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import template
from django.utils import formats, timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

register = template.Library()


@register.filter
def priority_css(priority: str) -> str:
    """CSS class of an SSVC priority (`track*` is not a valid class name)."""
    return {"act": "act", "attend": "attend", "track*": "track-star", "track": "track"}.get(
        priority, ""
    )


def number(value: float, decimals: int) -> str:
    """`value` with the active language's decimal separator ("9,1" in French)."""
    return str(formats.number_format(round(value, decimals), decimal_pos=decimals))


def percentage(value: float, decimals: int = 1) -> str:
    """A probability (0.012) as a percentage in the active language: "1,2 %", "1.2%"."""
    # The same words as the charts' percentages (core/charts.py): "%(value)s\u00a0%%" in French.
    return _("%(value)s%%") % {"value": number(value * 100, decimals)}


def moment_in_words(moment: datetime) -> str:
    """A moment in the active language and zone: "Monday 7 December 2026, 14:19"."""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    # Translators: a PHP-style date format (Django's `date` filter); backslash escapes a letter.
    return date_format(moment, pgettext("date and time in words", "l j F Y, H:i"))


def day_in_words(day: date) -> str:
    """A day in the active language: "Tuesday 3 May 2022", "mardi 3 mai 2022"."""
    if isinstance(day, datetime):
        day = timezone.localtime(day).date() if timezone.is_aware(day) else day.date()
    # Translators: a PHP-style date format (Django's `date` filter).
    return date_format(day, pgettext("day in words", "l j F Y"))


@register.filter
def score(value: Any) -> str:
    """A CVSS score with one decimal: "9,1" in French, "9.1" in English; "—" when unknown."""
    if value is None or value == "":
        return "—"
    return number(float(value), 1)


@register.filter
def percent(value: Any) -> str:
    """A probability (EPSS) as a percentage: "1,2 %" in French, "1.2%" in English."""
    if value is None or value == "":
        return "—"
    return percentage(float(value))


@register.filter
def deadline(value: Any) -> str:
    """A moment (a deadline) in words, in the reader's zone; "—" when there is none."""
    if isinstance(value, datetime):
        return moment_in_words(value)
    if isinstance(value, date):
        return day_in_words(value)
    return "—"


@register.filter
def day(value: Any) -> str:
    """A day in words ("mardi 3 mai 2022"); "—" when there is none."""
    if isinstance(value, date):
        return day_in_words(value)
    return "—"

"""One parameter of a reason or a finding, as the reader reads it: dates in their time zone
and format, numbers in their locale ("1 234", "25,9"). Shared by every page that renders codes
with parameters (readiness reasons, backup findings)."""

from __future__ import annotations

from datetime import date, datetime

from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.formats import date_format, number_format

from vigie.engines.readiness import ParamValue


def format_param(value: ParamValue) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, datetime):
        moment = timezone.localtime(value) if timezone.is_aware(value) else value
        return date_format(moment, "DATETIME_FORMAT")
    if isinstance(value, date):
        return date_format(value, "DATE_FORMAT")
    if isinstance(value, int):
        return number_format(value, force_grouping=True)
    if isinstance(value, float):
        return floatformat(value, -1)
    return str(value)

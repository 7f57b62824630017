"""Indicator-file problems in the reader's language.

The engine reports codes with parameters (`vigie.engines.indicators.Problem`); imports store them
as such, and this module writes them for people at display time (pages, CLI, API `message`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MESSAGES: dict[str, Promise] = {
    "unknown_type": gettext_lazy("unknown indicator type “%(type)s”"),
    "bad_value": gettext_lazy("“%(value)s” is not a valid %(type)s value"),
    "bad_date": gettext_lazy("“%(value)s” is not a date (write 2026-12-07 or 2026-12-07T14:19Z)"),
    "bad_tlp": gettext_lazy(
        "“%(value)s” is not a TLP marking (CLEAR, GREEN, AMBER, AMBER+STRICT, RED)"
    ),
    "missing_column": gettext_lazy("the header has no “%(column)s” column"),
    "not_text": gettext_lazy("the file is not text (UTF-8)"),
    "missing_value": gettext_lazy("the %(type)s row has no value"),
    "bad_json": gettext_lazy("the file is not valid JSON (line %(line)s, column %(column)s)"),
    "unknown_json_format": gettext_lazy("JSON that is neither a STIX 2.1 bundle nor a MISP event"),
    "not_a_bundle": gettext_lazy("the JSON is not a STIX 2.1 bundle"),
    "bad_stix_bundle": gettext_lazy("the bundle's “objects” is not a list"),
    "bad_stix_object": gettext_lazy("invalid STIX 2.1 object (%(reason)s)"),
    "bad_pattern": gettext_lazy("invalid STIX pattern (%(reason)s)"),
    "not_a_misp_event": gettext_lazy("the JSON is not a MISP event"),
    "bad_misp_event": gettext_lazy("invalid MISP event: property “%(property)s”"),
    "bad_misp_attribute": gettext_lazy("invalid MISP attribute: property “%(property)s”"),
    "unsupported_pattern": gettext_lazy("pattern kept but not matched (%(reason)s)"),
    "pattern_not_matchable": gettext_lazy("pattern kept but not matched (%(reason)s)"),
    "empty_file": gettext_lazy("the file holds no indicator"),
    "too_long": gettext_lazy("the value is longer than %(limit)s characters"),
    "too_many_problems": gettext_lazy("%(count)s further problems not listed"),
    "revoked": gettext_lazy("%(count)s revoked indicators skipped"),
    "unsupported_misp_type": gettext_lazy("%(count)s MISP attributes of type “%(type)s” skipped"),
}


# Reason codes of the engine, said in words (a code unknown here is shown as it is).
REASONS: dict[str, Promise] = {
    "syntax": gettext_lazy("syntax error"),
    "not_an_object": gettext_lazy("not a JSON object"),
    "InvalidValueError": gettext_lazy("invalid value of %(property)s"),
    "MissingPropertiesError": gettext_lazy("missing %(property)s"),
    "unsupported_path": gettext_lazy("an observable this platform does not match"),
    "unsupported_operator": gettext_lazy("AND, FOLLOWEDBY or another operator than = and OR"),
    "unsupported_value": gettext_lazy("a value that is not an indicator"),
}


class _Params(dict[str, Any]):
    """Missing parameters read as "?" rather than failing the whole page."""

    def __missing__(self, key: str) -> str:
        return "?"


def problem_message(code: str, params: Mapping[str, Any]) -> str:
    template = MESSAGES.get(code)
    if template is None:  # a code from a newer engine: still say something useful
        return f"{code} {dict(params)}" if params else code
    values = _Params(params)
    reason = values.get("reason")
    if isinstance(reason, str) and reason in REASONS:
        values["reason"] = str(REASONS[reason]) % values
    return str(template) % values


def problem_text(problem: Mapping[str, Any]) -> str:
    """One stored problem, with where it is: line, object and field when known."""
    where = []
    if problem.get("line"):
        where.append(_("line %(line)s") % {"line": problem["line"]})
    if problem.get("object"):
        where.append(_("object %(id)s") % {"id": problem["object"]})
    if problem.get("field"):
        where.append(_("field %(field)s") % {"field": problem["field"]})
    message = problem_message(str(problem.get("code", "")), problem.get("params") or {})
    if not where:
        return message
    return _("%(where)s: %(message)s") % {"where": ", ".join(where), "message": message}

"""Indicator-file problems in words: the templates of the engine's problem codes
(`vigie.engines.indicators.Problem`), shared by the platform (Django's gettext) and the
sensor (the standard library's gettext over the same catalogue), so that each sentence is
written and translated once.

Framework-free, so it lives with the sensor; the strings are marked with `gettext_noop`,
which Django's makemessages extracts, and translated when rendered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["MESSAGES", "REASONS", "gettext_noop", "problem_message"]


def gettext_noop(message: str) -> str:
    """Marks a string for the catalogue; it is translated where it is shown."""
    return message


MESSAGES: dict[str, str] = {
    "unknown_type": gettext_noop("unknown indicator type “%(type)s”"),
    "bad_value": gettext_noop("“%(value)s” is not a valid %(type)s value"),
    "bad_date": gettext_noop("“%(value)s” is not a date (write 2026-12-07 or 2026-12-07T14:19Z)"),
    "bad_tlp": gettext_noop(
        "“%(value)s” is not a TLP marking (CLEAR, GREEN, AMBER, AMBER+STRICT, RED)"
    ),
    "missing_column": gettext_noop("the header has no “%(column)s” column"),
    "not_text": gettext_noop("the file is not text (UTF-8)"),
    "missing_value": gettext_noop("the %(type)s row has no value"),
    "bad_json": gettext_noop("the file is not valid JSON (line %(line)s, column %(column)s)"),
    "unknown_json_format": gettext_noop("JSON that is neither a STIX 2.1 bundle nor a MISP event"),
    "not_a_bundle": gettext_noop("the JSON is not a STIX 2.1 bundle"),
    "bad_stix_bundle": gettext_noop("the bundle's “objects” is not a list"),
    "bad_stix_object": gettext_noop("invalid STIX 2.1 object (%(reason)s)"),
    "bad_pattern": gettext_noop("invalid STIX pattern (%(reason)s)"),
    "not_a_misp_event": gettext_noop("the JSON is not a MISP event"),
    "bad_misp_event": gettext_noop("invalid MISP event: property “%(property)s”"),
    "bad_misp_attribute": gettext_noop("invalid MISP attribute: property “%(property)s”"),
    "unsupported_pattern": gettext_noop("pattern kept but not matched (%(reason)s)"),
    "pattern_not_matchable": gettext_noop("pattern kept but not matched (%(reason)s)"),
    "empty_file": gettext_noop("the file holds no indicator"),
    "too_long": gettext_noop("the value is longer than %(limit)s characters"),
    "too_many_problems": gettext_noop("%(count)s further problems not listed"),
    "revoked": gettext_noop("%(count)s revoked indicators skipped"),
    "unsupported_misp_type": gettext_noop("%(count)s MISP attributes of type “%(type)s” skipped"),
}

# Reason codes of the engine, said in words (a code unknown here is shown as it is).
REASONS: dict[str, str] = {
    "syntax": gettext_noop("syntax error"),
    "not_an_object": gettext_noop("not a JSON object"),
    "InvalidValueError": gettext_noop("invalid value of %(property)s"),
    "MissingPropertiesError": gettext_noop("missing %(property)s"),
    "unsupported_path": gettext_noop("an observable this platform does not match"),
    "unsupported_operator": gettext_noop("AND, FOLLOWEDBY or another operator than = and OR"),
    "unsupported_value": gettext_noop("a value that is not an indicator"),
}


class _Params(dict[str, Any]):
    """Missing parameters read as "?" rather than failing the whole message."""

    def __missing__(self, key: str) -> str:
        return "?"


def problem_message(code: str, params: Mapping[str, Any], translate: Callable[[str], str]) -> str:
    """One problem in the reader's words, `translate` being that reader's gettext."""
    template = MESSAGES.get(code)
    if template is None:  # a code from a newer engine: still say something useful
        return f"{code} {dict(params)}" if params else code
    values = _Params(params)
    reason = values.get("reason")
    if isinstance(reason, str) and reason in REASONS:
        values["reason"] = translate(REASONS[reason]) % values
    return translate(template) % values

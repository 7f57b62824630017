"""Indicator-file problems in the reader's language.

The engine reports codes with parameters (`vigie.engines.indicators.Problem`); imports store them
as such, and this module writes them for people at display time (pages, CLI, API `message`),
with the templates the sensor shares (`vigie.sensor.problem_texts`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from vigie.sensor.problem_texts import problem_message as _render

__all__ = ["problem_message", "problem_text"]


def problem_message(code: str, params: Mapping[str, Any]) -> str:
    """One problem in the current language (the templates: `vigie.sensor.problem_texts`)."""
    return _render(code, params, _)


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

"""Template filters of the import pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from vigie.inventory import problems

register = template.Library()


@register.filter
def problem_text(problem: Mapping[str, Any]) -> str:
    """A stored import problem in the reader's language (vigie.inventory.problems)."""
    return problems.render(problem)

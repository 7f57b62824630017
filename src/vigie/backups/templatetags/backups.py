from __future__ import annotations

from typing import Any

from django import template

from vigie.backups.labels import finding_text
from vigie.engines.backups import Finding

register = template.Library()


@register.filter
def problem_text(payload: dict[str, Any]) -> str:
    """The sentence of a `backup.problem` notice's finding, in the active language."""
    params = payload.get("params") if isinstance(payload.get("params"), dict) else {}
    return finding_text(Finding(str(payload.get("code", "")), "", dict(params or {})))

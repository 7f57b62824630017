"""`{{ row|match_reason }}`: why an asset matched, in the reader's language (vulns/reasons.py).

Takes an AlertAsset row or one of its `corroboration` entries (a dict): their `reason_parts`
rendered through gettext, or the stored English `reason` where a row has no parts.
"""

from __future__ import annotations

from typing import Any

from django import template

from vigie.vulns.reasons import stored_reason

register = template.Library()


@register.filter
def match_reason(row: Any) -> str:
    if isinstance(row, dict):
        return stored_reason(row.get("reason_parts"), str(row.get("reason", "")))
    return stored_reason(getattr(row, "reason_parts", None), str(getattr(row, "reason", "")))

"""Template filters of the alert pages: feed names and match confidences, for people."""

from __future__ import annotations

from django import template
from django.utils.translation import pgettext_lazy

register = template.Library()

# The confidence of a match ("confiance" is feminine in French, hence the context).
CONFIDENCES = {
    "high": pgettext_lazy("confidence", "high"),
    "medium": pgettext_lazy("confidence", "medium"),
    "low": pgettext_lazy("confidence", "low"),
}
# Feed names are proper names, the same in every language.
SOURCES = {"nvd": "NVD", "cve5": "CVE 5"}


@register.filter
def source_label(source: str) -> str:
    """`nvd` → NVD, `cve5` → CVE 5, `csaf:<tracking id>` → CSAF <tracking id>."""
    if source in SOURCES:
        return SOURCES[source]
    kind, _, name = source.partition(":")
    return f"{kind.upper()} {name}" if name else source


@register.filter
def confidence_label(confidence: str) -> str:
    return str(CONFIDENCES.get(confidence, confidence))

"""The counters of a feed run in the reader's words (the feeds page's run history)."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigie.vulns.freshness import KIND_LABELS

register = template.Library()

# The keys feed_import and pending write into FeedRun.counts.
COUNT_LABELS = {
    "records_created": gettext_lazy("records created"),
    "records_updated": gettext_lazy("records updated"),
    "records_unchanged": gettext_lazy("records unchanged"),
    "rejected": gettext_lazy("records rejected"),
    "kev_entries": gettext_lazy("KEV entries"),
    "kev_changed": gettext_lazy("KEV entries changed"),
    "epss_scores": gettext_lazy("EPSS scores"),
    "epss_crossed": gettext_lazy("EPSS thresholds crossed"),
    "vex_statements": gettext_lazy("VEX statements"),
    "vex_vulnerabilities": gettext_lazy("vulnerabilities under VEX"),
    "alerts_created": gettext_lazy("alerts created"),
    "alerts_updated": gettext_lazy("alerts updated"),
    "alerts_closed": gettext_lazy("alerts closed"),
    "owed_matches": gettext_lazy("matches owed"),
}


@register.filter
def run_count_label(key: str) -> str:
    """A counter's label; an unknown key stays as written, so that nothing is hidden."""
    if key in COUNT_LABELS:
        return str(COUNT_LABELS[key])
    if key.startswith("loaded_"):
        kind = key.removeprefix("loaded_").replace("_", ":", 1)
        source = KIND_LABELS.get(kind)
        if source is not None:
            return _("loaded from %(source)s") % {"source": source}
    return key

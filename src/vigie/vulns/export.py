"""CSV export of the alert list, exactly as filtered and sorted on screen, streamed.

The header row is in the user's language (it is read by people opening the file), but the value
columns that scripts read hold stable codes, whatever the language: ``priority`` (act, attend,
track*, track), ``state`` (new, acknowledged, in_remediation, resolved, accepted_risk,
false_positive, withdrawn), ``kev`` (yes/no), dates in ISO 8601, scores with a dot. Scripts
should read columns by position, not by header text. Every text cell goes through
``safe_cell`` so a vulnerability title or asset name cannot become a spreadsheet formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from vigie.core.csv_safety import safe_cell
from vigie.vulns.models import Alert, AlertAsset

CHUNK = 500


class _Echo:
    def write(self, value: str) -> str:
        return value


def _headers() -> list[str]:
    return [
        _("Vulnerability"),
        _("Title"),
        _("Priority"),
        _("State"),
        _("CVSS"),
        _("EPSS"),
        _("KEV"),
        _("Affected assets"),
        _("Care units"),
        _("First seen"),
        _("Due"),
    ]


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def rows(alerts: QuerySet[Alert]) -> Iterator[str]:
    """CSV lines; the alerts are read in chunks with their assets, never all at once."""
    writer = csv.writer(_Echo())
    yield writer.writerow(_headers())
    chunk: list[Alert] = []
    for alert in alerts.iterator(chunk_size=CHUNK):
        chunk.append(alert)
        if len(chunk) == CHUNK:
            yield from _chunk_lines(chunk)
            chunk = []
    if chunk:
        yield from _chunk_lines(chunk)


def _chunk_lines(chunk: list[Alert]) -> Iterator[str]:
    assets: dict[int, list[tuple[str, str]]] = {}
    for alert_id, name, location in (
        AlertAsset.objects.filter(alert__in=[a.pk for a in chunk], active=True)
        .order_by("asset__name")
        .values_list("alert_id", "asset__name", "asset__location")
    ):
        assets.setdefault(alert_id, []).append((name, location))
    writer = csv.writer(_Echo())
    for alert in chunk:
        mine = assets.get(alert.pk, [])
        units = sorted({location for _name, location in mine if location})
        yield writer.writerow(
            [
                safe_cell(alert.vulnerability.vuln_id),
                safe_cell(alert.vulnerability.title),
                alert.priority,
                alert.state,
                _number(alert.vulnerability.cvss_score),
                _number(getattr(alert, "epss", None)),
                "yes" if getattr(alert, "in_kev", False) else "no",
                safe_cell(" | ".join(name for name, _location in mine)),
                safe_cell(" | ".join(units)),
                _iso(alert.first_seen),
                _iso(alert.remediation_due_at),
            ]
        )

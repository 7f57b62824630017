"""The continuity plans printed "for the day IT is down": one A4 page per care unit.

Each unit's page is laid out on its own; when its content overflows the page, it is laid out
again in a smaller type (down to a floor, below which the page would not be readable: then it
runs onto a second page rather than lose a line). The pages are then put together in one
document, so the all-units PDF is one page per unit. Nothing is ever fetched (`NoFetching`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from django.utils import timezone, translation
from weasyprint import HTML

from vigie.continuity.models import ContinuityPlan
from vigie.incidents.report_pdf import NoFetching
from vigie.tenancy.models import CareUnit, Organisation

TEMPLATE = "continuity/plan_pdf.html"
# The base font sizes tried, in points, until the unit's page fits one sheet.
SCALES = (9.0, 8.0, 7.2, 6.5, 6.0)
UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def _plans(units: list[CareUnit]) -> dict[int, ContinuityPlan]:
    plans = ContinuityPlan.objects.filter(care_unit__in=units).prefetch_related(
        "contacts", "paper_forms", "processes", "mutual_aid"
    )
    return {plan.care_unit_id: plan for plan in plans.select_related("reviewed_by")}


def _unit_document(
    organisation: Organisation,
    unit: CareUnit,
    plan: ContinuityPlan | None,
    printed_at: datetime,
    time_zone: str,
) -> Any:
    document = None
    for size in SCALES:
        html = render_to_string(
            TEMPLATE,
            {
                "organisation": organisation,
                "unit": unit,
                "plan": plan,
                "printed_at": printed_at,
                "time_zone": time_zone,
                "font_size": f"{size}pt",
            },
        )
        document = HTML(string=html, base_url=None, url_fetcher=NoFetching()).render()
        if len(document.pages) <= 1:
            break
    return document


def render_plans(
    organisation: Organisation, units: list[CareUnit], *, language: str, time_zone: str
) -> bytes:
    """The units' plans as PDF bytes, one page per unit, in `language`, times in `time_zone`."""
    zone = ZoneInfo(time_zone)
    plans = _plans(units)
    printed_at = timezone.now()
    documents = []
    with translation.override(language), timezone.override(zone):
        for unit in units:
            documents.append(
                _unit_document(organisation, unit, plans.get(unit.pk), printed_at, time_zone)
            )
        if not documents:
            html = render_to_string(
                TEMPLATE,
                {
                    "organisation": organisation,
                    "unit": None,
                    "plan": None,
                    "printed_at": printed_at,
                    "time_zone": time_zone,
                    "font_size": f"{SCALES[0]}pt",
                },
            )
            documents.append(HTML(string=html, base_url=None, url_fetcher=NoFetching()).render())
    pages = [page for document in documents for page in document.pages]
    pdf: bytes = documents[0].copy(pages).write_pdf()
    return pdf


def pdf_filename(organisation: Organisation, unit: CareUnit | None = None) -> str:
    stem = f"continuite-{organisation.slug}" + (f"-{unit.name}" if unit is not None else "")
    cleaned = UNSAFE_FILENAME.sub("_", stem).strip("._-")
    return f"{cleaned or 'continuite'}.pdf"

"""The incident report (the JSON snapshot of `vigie.incidents.reports`) as a PDF document.

The snapshot holds codes and ISO times; this module turns them into words of the reader's
language and times of the reader's zone, renders `incidents/report_pdf.html` and prints it with
WeasyPrint. The document never fetches anything: every URL (an image or a stylesheet that a
description might smuggle in) is refused, and all report text goes through autoescaping.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.db import models
from django.template.loader import render_to_string
from django.utils import timezone, translation
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from vigie.incidents.labels import OBLIGATIONS, REGULATIONS, STATUSES, step_label
from vigie.incidents.models import Category, Emergency, Endangerment, Origin, Pap, Phase, Severity
from vigie.intel.models import Tlp
from vigie.tenancy.models import Nis2Class, Region, StructureType

TEMPLATE = "incidents/report_pdf.html"

# TLP 2.0 (FIRST): the marking's colour, on black. Only these constants reach the stylesheet.
TLP_COLOURS = {
    "red": "#ff2b2b",
    "amber": "#ffc000",
    "amber+strict": "#ffc000",
    "green": "#33ff00",
    "clear": "#ffffff",
}
UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


class NoFetching(URLFetcher):
    """Refuses every URL: the PDF is made of the report alone, the server fetches nothing."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=())
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> Any:
        self.refused.append(url)
        raise ValueError(f"the incident report fetches no URL: {url[:200]!r}")


def render_pdf(report: dict[str, Any], *, language: str, time_zone: str) -> bytes:
    """The report as PDF bytes, in `language` ("fr", "en"), times in `time_zone`."""
    zone = ZoneInfo(time_zone)
    with translation.override(language), timezone.override(zone):
        html = render_to_string(TEMPLATE, _context(report, time_zone))
    pdf: bytes = HTML(string=html, base_url=None, url_fetcher=NoFetching()).write_pdf()
    return pdf


def pdf_filename(report: dict[str, Any]) -> str:
    """`INC-2026-0003-nis2_notification.pdf`: the reference and the obligation, safe characters."""
    reference = str(_section(report, "incident").get("reference") or "incident")
    obligation = str(report.get("obligation") or "report")
    stem = UNSAFE_FILENAME.sub("_", f"{reference}-{obligation}").strip("._-")
    return f"{stem or 'incident-report'}.pdf"


def _context(report: dict[str, Any], time_zone: str) -> dict[str, Any]:
    establishment = _section(report, "establishment")
    incident = _section(report, "incident")
    times = _section(report, "times")
    patient = _section(report, "patient_impact")
    data = _section(report, "data_impact")
    ransom = _section(report, "ransom")
    code = str(report.get("obligation") or "")
    obligations = [_obligation(o, code) for o in _rows(report, "obligations")]
    current = next((o for o in obligations if o["current"]), None)
    tlp = str(incident.get("tlp") or "")
    return {
        "schema": report.get("schema", ""),
        "time_zone": time_zone,
        "generated_at": _parse_time(report.get("generated_at")),
        "obligation": {
            "code": code,
            "title": _word(OBLIGATIONS, code),
            "regulation": _word(REGULATIONS, str(report.get("regulation") or "")),
            "due": current["due"] if current else None,
            "status": current["status"] if current else "",
            "submitted": current["submitted"] if current else None,
        },
        "tlp": {"label": _choice(Tlp, tlp), "colour": TLP_COLOURS.get(tlp, "#ffffff")},
        "establishment": {
            "name": establishment.get("name", ""),
            "finess": establishment.get("finess", ""),
            "structure_type": _choice(StructureType, establishment.get("structure_type")),
            "region": _choice(Region, establishment.get("region")),
            "ght": establishment.get("ght", ""),
            "nis2_class": _choice(Nis2Class, establishment.get("nis2_class")),
            "ose": bool(establishment.get("ose")),
        },
        "incident": {
            "reference": incident.get("reference", ""),
            "title": incident.get("title", ""),
            "description": incident.get("description", ""),
            "category": _choice(Category, incident.get("category")),
            "origin": _choice(Origin, incident.get("origin")),
            "phase": _choice(Phase, incident.get("phase")),
            "severity": _choice(Severity, incident.get("severity")),
            "major": bool(incident.get("major")),
            "pap": _choice(Pap, incident.get("pap")),
            "support_requested": bool(incident.get("support_requested")),
            "suspected_malicious": bool(incident.get("suspected_malicious")),
            "cross_border": bool(incident.get("cross_border")),
        },
        "times": {name: _parse_time(value) for name, value in times.items()},
        "patient_impact": {
            **patient,
            "degraded_from": _parse_time(patient.get("degraded_from")),
            "degraded_until": _parse_time(patient.get("degraded_until")),
            "emergency": _choice(Emergency, patient.get("emergency")),
            "endangerment": _choice(Endangerment, patient.get("endangerment")),
            "transfers": _section(patient, "transfers"),
        },
        "data_impact": data,
        "ransom": {**ransom, "amount": _amount(ransom.get("amount"))},
        "affected_assets": _rows(report, "affected_assets"),
        "mitigations": [
            {
                "label": step_label(str(m.get("step") or ""), str(m.get("title") or "")),
                "done": _parse_time(m.get("done")),
            }
            for m in _rows(report, "mitigations")
        ],
        "obligations": obligations,
    }


def _obligation(row: dict[str, Any], current_code: str) -> dict[str, Any]:
    code = str(row.get("code") or "")
    return {
        "code": code,
        "current": code == current_code,
        "title": _word(OBLIGATIONS, code),
        "regulation": _word(REGULATIONS, str(row.get("regulation") or "")),
        "due": _parse_time(row.get("due")),
        "status": _word(STATUSES, str(row.get("status") or "")),
        "submitted": _parse_time(row.get("submitted")),
    }


def _section(report: dict[str, Any], name: str) -> dict[str, Any]:
    value = report.get(name)
    return value if isinstance(value, dict) else {}


def _rows(report: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = report.get(name)
    return [row for row in value if isinstance(row, dict)] if isinstance(value, list) else []


def _word(words: dict[str, Any], code: str) -> str:
    """The words for a code; an unknown code (from a newer schema) is shown as it is."""
    label = words.get(code)
    return str(label) if label is not None else code


def _choice(choices: type[models.Choices], code: Any) -> str:
    if code is None or code == "":
        return ""
    try:
        return str(choices(code).label)
    except ValueError:
        return str(code)


def _parse_time(value: Any) -> datetime | None:
    """An ISO time of the snapshot as an aware datetime (shown in the reader's zone)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _amount(value: Any) -> Decimal | str | None:
    """The ransom amount as a number, so it is written with the reader's decimal separator."""
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return amount if amount.is_finite() else str(value)

"""The exercise report (RETEX) as a PDF: scenario, participants, the timeline with delivery
times, observations, lessons learned, actions. In the reader's language and time zone; the
document fetches no URL (`NoFetching`), and all text goes through autoescaping."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from django.utils import timezone, translation
from weasyprint import HTML

from vigie.exercises.models import ActionStatus, Exercise, LessonKind, ParticipantRole
from vigie.incidents.report_pdf import NoFetching

TEMPLATE = "exercises/report_pdf.html"
UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def render_pdf(exercise: Exercise, *, language: str, time_zone: str) -> bytes:
    zone = ZoneInfo(time_zone)
    with translation.override(language), timezone.override(zone):
        participants = list(exercise.participants.select_related("membership__user"))
        lessons = list(exercise.lessons.all())
        today = timezone.localdate()
        html = render_to_string(
            TEMPLATE,
            {
                "exercise": exercise,
                "organisation": exercise.organisation,
                "generated_at": timezone.now(),
                "time_zone": time_zone,
                "roles": [
                    (label, [p for p in participants if p.role == value])
                    for value, label in ParticipantRole.choices
                ],
                "injects": list(exercise.injects.all()),
                "observations": list(exercise.observations.select_related("author", "inject")),
                "went_well": [x for x in lessons if x.kind == LessonKind.WENT_WELL],
                "to_improve": [x for x in lessons if x.kind == LessonKind.TO_IMPROVE],
                "actions": [
                    {"action": a, "overdue": a.status == ActionStatus.OPEN and a.due_on < today}
                    for a in exercise.actions.select_related("owner__user")
                ],
            },
        )
    pdf: bytes = HTML(string=html, base_url=None, url_fetcher=NoFetching()).write_pdf()
    return pdf


def pdf_filename(exercise: Exercise) -> str:
    stem = UNSAFE_FILENAME.sub("-", f"retex-{exercise.planned_for:%Y-%m-%d}-{exercise.pk}")
    return f"{stem.strip('.-_') or 'retex'}.pdf"

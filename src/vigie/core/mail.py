"""Templated e-mail in the recipient's language (text, with an HTML alternative when present)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation


def render_mail(
    template: str, context: dict[str, Any], language: str
) -> tuple[str, str, str | None]:
    """(subject, text, html) from `<template>_subject.txt`, `_body.txt`, optional `_body.html`."""
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        text = render_to_string(f"{template}_body.txt", context)
        try:
            html: str | None = render_to_string(f"{template}_body.html", context)
        except TemplateDoesNotExist:
            html = None
    return subject, text, html


def send_templated_mail(
    template: str,
    context: dict[str, Any],
    recipients: Sequence[str],
    language: str,
    headers: dict[str, str] | None = None,
) -> None:
    subject, text, html = render_mail(
        template, {"base_url": settings.VIGIE_BASE_URL, **context}, language
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(recipients),
        headers=headers or {},
    )
    if html is not None:
        message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)

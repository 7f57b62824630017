"""Templated e-mail in the recipient's language (text, with an HTML alternative when present)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation

from vigie.core.email_address import InvalidEmailAddress, check_email_address


class InvalidRecipient(ValueError):
    """A recipient address the mail layer cannot send to (refused before anything is sent)."""

    def __init__(self, address: str, reason: InvalidEmailAddress) -> None:
        # repr: the address may hold CR/LF or control characters that must not reach a log raw.
        super().__init__(f"cannot send e-mail to {address[:300]!r}: {reason.code}")
        self.address = address
        self.code = reason.code


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
    """Send one message to `recipients`; InvalidRecipient if any address cannot be sent to."""
    # Django's mail classes crash on such addresses (KeyError 'To', UnicodeEncodeError, IDNA
    # errors) or, for CR/LF, could inject headers: refuse them first, with a clear exception.
    for address in recipients:
        try:
            check_email_address(address)
        except InvalidEmailAddress as reason:
            raise InvalidRecipient(address, reason) from reason
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

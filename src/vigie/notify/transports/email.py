"""E-mail through Django's mail backend (SMTP in production), in the recipient's language."""

from __future__ import annotations

import smtplib
from email.utils import formataddr, parseaddr
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template import TemplateDoesNotExist, TemplateSyntaxError

from vigie.accounts.zones import reading_as
from vigie.core.mail import render_mail
from vigie.notify.transports.base import PermanentError, TemporaryError, Transport

if TYPE_CHECKING:
    from vigie.notify.models import Delivery


def message_id(delivery: Delivery) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "vigie.invalid"
    return f"<{delivery.public_id}@{domain}>"


def sender_of(delivery: Delivery) -> str:
    """The platform's own address, under the display name the payload asks for (a phishing
    simulation signs as "Service informatique"): the address itself never changes, so no
    message can pass for another domain's, and control characters never reach a header."""
    name = delivery.payload.get("sender_name")
    if not isinstance(name, str):
        return settings.DEFAULT_FROM_EMAIL
    name = " ".join("".join(ch if ch.isprintable() else " " for ch in name).split())[:100]
    if not name:
        return settings.DEFAULT_FROM_EMAIL
    return formataddr((name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))


class EmailTransport(Transport):
    kind = "email"

    def send(self, delivery: Delivery) -> int | None:
        language = delivery.language or settings.LANGUAGE_CODE
        context = {"base_url": settings.VIGIE_BASE_URL, **delivery.payload}
        try:
            # Dates in the recipient's zone, as their pages show them (accounts.zones).
            with reading_as(delivery):
                subject, text, html = render_mail(delivery.template, context, language)
        except (TemplateDoesNotExist, TemplateSyntaxError) as exc:
            raise PermanentError(f"template {delivery.template}: {type(exc).__name__}") from exc
        # Kept for the delivery log: the subject as the recipient saw it.
        delivery.subject = subject[:255]
        message = EmailMultiAlternatives(
            subject=subject,
            body=text,
            from_email=sender_of(delivery),
            to=[delivery.recipient],
            headers={
                # The same on every attempt: a message sent twice (a worker killed after the
                # server accepted it, before the row said so) is one message to mail clients and
                # archives, which deduplicate on Message-ID as webhooks do on Idempotency-Key.
                "Message-ID": message_id(delivery),
                "X-Vigie-Event": delivery.event,
                "X-Vigie-Delivery": str(delivery.public_id),
                # RFC 3834: out-of-office robots must not answer.
                "Auto-Submitted": "auto-generated",
            },
            connection=get_connection(fail_silently=False),
        )
        if html is not None:
            message.attach_alternative(html, "text/html")
        try:
            message.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            code = codes[0] if codes else None
            if codes and all(value >= 500 for value in codes):
                raise PermanentError(f"recipient refused (SMTP {code})", status_code=code) from exc
            raise TemporaryError(f"recipient deferred (SMTP {code})", status_code=code) from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPAuthenticationError) as exc:
            # The platform's own mail settings are wrong: every message fails until an operator
            # fixes them, after which the retries go through.
            raise TemporaryError(
                f"mail server refused the platform ({type(exc).__name__}, SMTP {exc.smtp_code})",
                status_code=exc.smtp_code,
            ) from exc
        except smtplib.SMTPResponseException as exc:
            error_class = PermanentError if exc.smtp_code >= 500 else TemporaryError
            raise error_class(
                f"mail server answered SMTP {exc.smtp_code}", status_code=exc.smtp_code
            ) from exc
        except smtplib.SMTPException as exc:
            raise TemporaryError(f"SMTP: {type(exc).__name__}") from exc
        except TimeoutError as exc:
            raise TemporaryError("mail server timed out") from exc
        except ConnectionRefusedError as exc:
            raise TemporaryError("mail server refused the connection") from exc
        except OSError as exc:
            raise TemporaryError(f"mail server unreachable ({exc.strerror or exc})") from exc
        return None

"""Helpers shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from django.test import Client

PASSWORD = "correct horse battery staple 42"


def add_totp(user: Any) -> Any:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def totp_code(device: Any, offset_steps: int = 0) -> str:
    from django_otp.oath import totp

    return f"{totp(device.bin_key, t0=device.t0, step=device.step, drift=offset_steps):06d}"


def signed_in(user: Any, *, verified: bool = True) -> Client:
    """A client with a session for `user`; centre users get a verified second factor."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from vigie.tenancy.access import requires_two_factor

    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None and requires_two_factor(user) and verified:
        device = add_totp(user)
    if device is not None and verified:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@dataclass
class MailBox:
    host: str
    port: int
    messages: list[Message] = field(default_factory=list)

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[Message]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def mail_text(message: Message) -> str:
    """The text/plain body of a received message, decoded."""
    part = message
    if message.is_multipart():
        for candidate in message.walk():
            if candidate.get_content_type() == "text/plain":
                part = candidate
                break
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(part.get_content_charset() or "utf-8")


def in_english(client: Client) -> Client:
    """`client`, reading the platform in English (the test site's language is French, and the
    language of a signed-in session is its cookie): for tests that check an English sentence."""
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def assert_security_headers(response: Any) -> None:
    """What every answer of the platform carries, page, file, API or error alike: a script
    policy without inline code, no framing, no content sniffing, no referrer to other sites."""
    csp = response.get("Content-Security-Policy", "")
    assert csp, "no Content-Security-Policy"
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    # Pages forbid framing; files served for download are sandboxed outright.
    assert "frame-ancestors 'none'" in csp or "sandbox" in csp, csp
    assert response.get("X-Frame-Options") == "DENY"
    assert response.get("X-Content-Type-Options") == "nosniff"
    assert response.get("Referrer-Policy") in ("same-origin", "no-referrer")

"""The display name a message may carry: the platform's address always, never a header break."""

from __future__ import annotations

from email.utils import parseaddr

from django.conf import settings

from vigie.notify.models import Delivery
from vigie.notify.transports.email import sender_of


def test_a_message_without_a_sender_name_comes_from_the_platform() -> None:
    assert sender_of(Delivery(payload={})) == settings.DEFAULT_FROM_EMAIL


def test_the_display_name_changes_but_never_the_address() -> None:
    sender = sender_of(Delivery(payload={"sender_name": "Service informatique"}))
    name, address = parseaddr(sender)
    assert name == "Service informatique"
    assert address == parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def test_line_breaks_in_a_sender_name_cannot_add_a_header() -> None:
    sender = sender_of(Delivery(payload={"sender_name": "IT\r\nBcc: all@example.org"}))
    assert "\r" not in sender
    assert "\n" not in sender
    assert parseaddr(sender)[1] == parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def test_a_sender_name_of_blanks_or_another_type_is_ignored() -> None:
    assert sender_of(Delivery(payload={"sender_name": " \t "})) == settings.DEFAULT_FROM_EMAIL
    assert sender_of(Delivery(payload={"sender_name": 42})) == settings.DEFAULT_FROM_EMAIL

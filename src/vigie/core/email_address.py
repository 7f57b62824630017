"""One check for e-mail addresses we will write to: what the mail layer can actually send.

Django's EmailValidator accepts addresses that later crash the mail layer (quoted local parts
with control characters, domains that are not valid IDNA, non-ASCII local parts that need
SMTPUTF8, which we do not use). Forms and the API check with `check_email_address` so that
the person gets a field error; the mail layer checks again so that no caller can make it crash.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

MAX_LENGTH = 254  # RFC 5321's limit on a forward path, less the angle brackets
MAX_LOCAL_LENGTH = 64

_django_validator = EmailValidator()


class InvalidEmailAddress(ValueError):
    """The address cannot be sent to; `code` says why (for messages and logs)."""

    def __init__(self, code: str) -> None:
        super().__init__(f"invalid e-mail address ({code})")
        self.code = code


def _has_invisible(value: str) -> bool:
    # Control, format (zero-width…), separator characters: nothing an address may contain,
    # and CR/LF would inject headers.
    return any(unicodedata.category(char)[0] in "CZ" for char in value)


def ascii_domain(domain: str) -> str:
    """The domain in its ASCII (IDNA) form; raises InvalidEmailAddress if it has none."""
    try:
        encoded = domain.encode("idna").decode("ascii")
        # ASCII labels pass through the encoder unchecked: decoding catches bad "xn--" labels.
        encoded.encode("ascii").decode("idna")
    except UnicodeError as error:
        raise InvalidEmailAddress("domain") from error
    labels = encoded.split(".")
    if len(labels) < 2 or any(not label or len(label) > 63 for label in labels):
        raise InvalidEmailAddress("domain")
    return encoded


def check_email_address(value: str) -> str:
    """The address if we can send to it, else InvalidEmailAddress."""
    if not value or len(value) > MAX_LENGTH:
        raise InvalidEmailAddress("length")
    if _has_invisible(value):
        raise InvalidEmailAddress("characters")
    local, at, domain = value.rpartition("@")
    if not at or not local:
        raise InvalidEmailAddress("format")
    if len(local) > MAX_LOCAL_LENGTH or not local.isascii() or '"' in local or "\\" in local:
        raise InvalidEmailAddress("local_part")
    try:
        _django_validator(value)
    except ValidationError as error:
        raise InvalidEmailAddress("format") from error
    if len(local) + 1 + len(ascii_domain(domain)) > MAX_LENGTH:
        raise InvalidEmailAddress("length")
    return value


def is_valid_email_address(value: str) -> bool:
    try:
        check_email_address(value)
    except InvalidEmailAddress:
        return False
    return True

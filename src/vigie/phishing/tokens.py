"""Per-recipient tokens, derived rather than stored: "<target id>-<truncated HMAC-SHA256>".

The HMAC key is derived from SECRET_KEY with a salt of its own (Django's `salted_hmac`), so a
token is worth nothing outside this purpose; it is checked in constant time. A token whose
signature does not match (tampered, another instance's) is simply not found.
"""

from __future__ import annotations

import base64

from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "vigie.phishing.recipient-token"
ADDRESS_SALT = "vigie.phishing.address-hash"
SIGNATURE_BYTES = 16


def _signature(target_id: int) -> str:
    digest = salted_hmac(SALT, str(target_id), algorithm="sha256").digest()[:SIGNATURE_BYTES]
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def token_for(target_id: int) -> str:
    return f"{target_id}-{_signature(target_id)}"


def target_id_of(token: str) -> int | None:
    """The target id a genuine token names; None for anything else."""
    head, dash, signature = token.partition("-")
    if not dash or not head.isdigit() or len(head) > 18:
        return None
    target_id = int(head)
    if not constant_time_compare(signature, _signature(target_id)):
        return None
    return target_id


def address_hash(address: str) -> str:
    """A keyed hash of the address: repeat clickers are matched without comparing addresses."""
    return salted_hmac(ADDRESS_SALT, address.strip().lower(), algorithm="sha256").hexdigest()

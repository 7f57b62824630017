"""Webhook signing secrets, encrypted at rest with AES-GCM under a key derived from SECRET_KEY.

A database dump alone does not reveal the secrets. The organisation's id is bound as associated
data, so a ciphertext copied onto another tenant's channel does not decrypt. Keys listed in
SECRET_KEY_FALLBACKS still decrypt, so the secret key can be rotated without breaking channels;
secrets are re-encrypted under the new key when an administrator regenerates them.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_PREFIX = "v1:"
_INFO = b"vigie.notify.webhook-secret.v1"
_NONCE_BYTES = 12


class SecretUnreadable(ValueError):
    """The stored secret does not decrypt: SECRET_KEY changed without a fallback, or tampering."""


def _key(secret_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret_key.encode("utf-8")
    )


def _associated_data(organisation_id: int) -> bytes:
    return f"organisation:{organisation_id}".encode("ascii")


def encrypt_secret(plaintext: str, *, organisation_id: int) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(_key(settings.SECRET_KEY)).encrypt(
        nonce, plaintext.encode("utf-8"), _associated_data(organisation_id)
    )
    return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def decrypt_secret(token: str, *, organisation_id: int) -> str:
    if not token.startswith(_PREFIX):
        raise SecretUnreadable("unknown secret format")
    try:
        raw = base64.urlsafe_b64decode(token[len(_PREFIX) :].encode("ascii"))
    except ValueError as exc:
        raise SecretUnreadable("malformed secret") from exc
    nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
    for secret_key in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        try:
            plain = AESGCM(_key(secret_key)).decrypt(
                nonce, sealed, _associated_data(organisation_id)
            )
        except InvalidTag:
            continue
        return plain.decode("utf-8")
    raise SecretUnreadable("the secret does not decrypt with the current SECRET_KEY")

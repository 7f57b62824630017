"""The secret key: VIGIE_SECRET_KEY, or generated once into VIGIE_HOME for the embedded setup."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

# Keys that must never sign anything in production: Django's own placeholder prefix and the
# values people paste from tutorials. checks.py refuses them when DEBUG is off.
KNOWN_INSECURE_PREFIXES = ("django-insecure", "changeme", "change-me", "secret", "dev-")
MINIMUM_LENGTH = 50


def generated_key_path(home: Path) -> Path:
    return home / "secret_key"


def load_or_generate(home: Path) -> str:
    """Read VIGIE_HOME/secret_key, creating it (mode 0600) on first run."""
    path = generated_key_path(home)
    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = ""
    if key:
        return key
    home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(64)
    # O_EXCL: two processes starting together must not overwrite each other's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def is_insecure(key: str) -> bool:
    lowered = key.lower()
    return (
        len(key) < MINIMUM_LENGTH
        or lowered.startswith(KNOWN_INSECURE_PREFIXES)
        or (len(set(key)) < 10)
    )

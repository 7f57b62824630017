"""What the readers share: decoding bytes as text, dates, tag lists."""

from __future__ import annotations

import re
from datetime import UTC, datetime

__all__ = ["decode_text", "parse_datetime", "split_tags"]

_UTF8_BOM = b"\xef\xbb\xbf"
_TAG_SEPARATORS = re.compile(r"[;|]")


def decode_text(data: bytes) -> str | None:
    """The text of an indicator file (UTF-8, BOM accepted), or None when it is not text.

    A NUL byte means binary (an archive, an executable dropped by mistake): UTF-8 text never
    holds one, and decoding such a file would only give garbage values line after line.
    """
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def parse_datetime(text: str) -> datetime | None:
    """An ISO 8601 date or date-time as tz-aware UTC (naive means UTC); None when unparsable.

    A bare date means midnight UTC of that day.
    """
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def split_tags(text: str) -> tuple[str, ...]:
    """Tags of a CSV cell, separated by `;` or `|` (commas would clash with the CSV itself)."""
    if not text:
        return ()
    return tuple(tag for part in _TAG_SEPARATORS.split(text) if (tag := part.strip()))

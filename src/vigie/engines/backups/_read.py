"""Small readers shared by the restic and borg parsers: JSON, times, typed fields."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from vigie.engines.backups.model import ParseError

_TIME = re.compile(
    r"^(?P<base>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})(?:\.(?P<fraction>\d+))?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?$"
)
EXCERPT_CHARS = 2000


def load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ParseError("not_json", line=error.lineno) from None
    except RecursionError:
        raise ParseError("not_json", line=1) from None


def json_lines(text: str) -> list[tuple[int, Any]]:
    """(line number, value) of each non-blank line."""
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append((number, json.loads(line)))
        except json.JSONDecodeError:
            raise ParseError("not_json", line=number) from None
        except RecursionError:
            raise ParseError("not_json", line=number) from None
    return rows


def parse_time(value: Any, *, line: int, field: str) -> datetime:
    """An ISO 8601 time, aware in UTC: restic writes nanoseconds and an offset; borg writes
    a time without zone, read as UTC (the sensor runs borg with TZ=UTC)."""
    if not isinstance(value, str):
        raise ParseError("bad_type", line=line, field=field)
    match = _TIME.match(value.strip())
    if match is None:
        raise ParseError("bad_time", line=line, field=field)
    fraction = (match["fraction"] or "0")[:6].ljust(6, "0")
    zone = match["zone"] or "+00:00"
    if zone == "Z":
        zone = "+00:00"
    elif ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    try:
        moment = datetime.fromisoformat(f"{match['base'].replace(' ', 'T')}.{fraction}{zone}")
    except ValueError:
        raise ParseError("bad_time", line=line, field=field) from None
    return moment.astimezone(UTC)


def need(obj: dict[str, Any], key: str, *, line: int, prefix: str = "") -> Any:
    if key not in obj or obj[key] is None:
        raise ParseError("missing_field", line=line, field=prefix + key)
    return obj[key]


def text_field(obj: dict[str, Any], key: str, *, line: int, prefix: str = "") -> str:
    value = need(obj, key, line=line, prefix=prefix)
    if not isinstance(value, str) or not value or len(value) > 200:
        raise ParseError("bad_type", line=line, field=prefix + key)
    return value


def count_field(obj: dict[str, Any], key: str, *, line: int, prefix: str = "") -> int | None:
    """A non-negative integer, or None when absent."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ParseError("bad_type", line=line, field=prefix + key)
    if isinstance(value, float) and not value.is_integer():
        raise ParseError("bad_type", line=line, field=prefix + key)
    if value > 2**62:
        raise ParseError("bad_type", line=line, field=prefix + key)
    return int(value)


def seconds_field(obj: dict[str, Any], key: str, *, line: int, prefix: str = "") -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e9:
        raise ParseError("bad_type", line=line, field=prefix + key)
    return float(value)


def line_of(text: str, needle: str) -> int:
    """The line where `needle` (a JSON key or value) first appears: to name it in an error."""
    position = text.find(needle)
    return 1 if position < 0 else text.count("\n", 0, position) + 1


def excerpt(text: str) -> str:
    return text.strip()[-EXCERPT_CHARS:]


def item_spans(text: str, array_start: int) -> list[tuple[int, int]]:
    """Where each element of the JSON array opening at `array_start` is written (start and
    end offsets), to name the line of a field in a pretty-printed array of objects. Empty
    when the text cannot be walked (the caller then names the line it can)."""
    decoder = json.JSONDecoder()
    spans: list[tuple[int, int]] = []
    index = array_start + 1
    length = len(text)
    while index < length:
        while index < length and text[index] in " \t\r\n,":
            index += 1
        if index >= length or text[index] == "]":
            break
        try:
            _value, end = decoder.raw_decode(text, index)
        except (json.JSONDecodeError, RecursionError):
            return spans
        spans.append((index, end))
        index = end
    return spans


def key_line(text: str, span: tuple[int, int] | None, key: str) -> int:
    """The line of `"key"` inside `span` (or of the span's start when it is not there)."""
    if span is None:
        return 1
    start, end = span
    position = text.find(f'"{key}"', start, end)
    return text.count("\n", 0, position if position >= 0 else start) + 1

"""Small helpers shared by the feed readers: problem reporting, JSON access, dates, gzip, CVSS.

Every reader reports bad input as `records.InputError` through a `Problems` collector, so one
bad record never stops a file and one bad file never stops a directory.
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from cvss import CVSS2, CVSS3, CVSS4, CVSSError

from vigie.engines.records import InputError

GZIP_MAGIC = b"\x1f\x8b"
CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")
CWE_ID = re.compile(r"^CWE-\d+$")


@dataclass
class Problems:
    """Collects the InputErrors found in one file; `line` is the current physical line, if any."""

    file: str
    errors: list[InputError] = field(default_factory=list)
    line: int | None = None

    def add(
        self,
        message: str,
        field: str | None = None,
        record: str | None = None,
        line: int | None = None,
    ) -> None:
        self.errors.append(
            InputError(
                file=self.file,
                message=message,
                line=line if line is not None else self.line,
                field=field,
                record=record,
            )
        )


def get_dict(
    obj: dict[str, Any],
    key: str,
    where: str,
    problems: Problems,
    record: str | None = None,
    required: bool = False,
) -> dict[str, Any] | None:
    """obj[key] when it is an object, else None (a problem when it is something else, or
    missing but required)."""
    value = obj.get(key)
    if value is None:
        if required:
            problems.add(f"missing required object `{key}`", field=f"{where}/{key}", record=record)
        return None
    if not isinstance(value, dict):
        problems.add(
            f"expected an object, found {type_name(value)}", field=f"{where}/{key}", record=record
        )
        return None
    return value


def get_list(
    obj: dict[str, Any],
    key: str,
    where: str,
    problems: Problems,
    record: str | None = None,
    required: bool = False,
) -> list[Any]:
    """obj[key] when it is an array, else [] (with a problem when it is something else)."""
    value = obj.get(key)
    if value is None:
        if required:
            problems.add(f"missing required array `{key}`", field=f"{where}/{key}", record=record)
        return []
    if not isinstance(value, list):
        problems.add(
            f"expected an array, found {type_name(value)}", field=f"{where}/{key}", record=record
        )
        return []
    return value


def get_str(
    obj: dict[str, Any],
    key: str,
    where: str,
    problems: Problems,
    record: str | None = None,
    required: bool = False,
) -> str:
    """obj[key] when it is a string, else "" (with a problem when it is something else)."""
    value = obj.get(key)
    if value is None:
        if required:
            problems.add(f"missing required string `{key}`", field=f"{where}/{key}", record=record)
        return ""
    if not isinstance(value, str):
        problems.add(
            f"expected a string, found {type_name(value)}", field=f"{where}/{key}", record=record
        )
        return ""
    if required and not value.strip():
        problems.add(f"required string `{key}` is empty", field=f"{where}/{key}", record=record)
    return value


def as_list(value: object) -> list[Any]:
    """value when it is an array, else [] (for optional members read without reporting)."""
    return value if isinstance(value, list) else []


def type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def parse_timestamp(
    value: object, where: str, problems: Problems, record: str | None = None
) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 string; feeds without an offset (NVD) mean UTC."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        problems.add(
            f"expected a date-time string, found {type_name(value)}", field=where, record=record
        )
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        problems.add(f"not an ISO 8601 date-time: {value!r}", field=where, record=record)
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def unique(values: list[str]) -> tuple[str, ...]:
    """Values in first-seen order without duplicates or empty strings."""
    return tuple(dict.fromkeys(v for v in values if v))


# --------------------------------------------------------------------------------------------
# Files: gzip is recognised by its magic bytes, not by the name, so `x.json` that is really
# gzip-compressed (as some mirrors serve it) still reads.


def open_binary(path: Path) -> io.BufferedIOBase:
    """The file's decompressed bytes as a stream (gzip detected from content)."""
    raw = path.open("rb")
    head = raw.read(2)
    raw.seek(0)
    if head == GZIP_MAGIC:
        # GzipFile does not close the file object it was given: hand it the path instead.
        raw.close()
        return gzip.open(path, "rb")
    return raw


# The exceptions a damaged file (truncated gzip, bad CRC, unreadable disk) raises while read.
READ_ERRORS: tuple[type[BaseException], ...] = (OSError, EOFError, zlib.error, gzip.BadGzipFile)


def read_bytes(path: Path) -> bytes:
    with open_binary(path) as stream:
        return stream.read()


def iter_text_lines(stream: io.BufferedIOBase) -> Iterator[str]:
    """Decoded lines of a UTF-8 stream (a leading BOM removed), newline characters kept.

    A stray invalid byte becomes U+FFFD, so the row it is in fails validation and is reported
    with its line number instead of stopping the whole file.
    """
    first = True
    for raw in stream:  # bytes lines end at b"\n", which never splits a UTF-8 character
        line = raw.decode("utf-8", errors="replace")
        if first:
            line = line.removeprefix("\ufeff")
            first = False
        yield line


# --------------------------------------------------------------------------------------------
# CVSS vectors are validated with the `cvss` reference library. Parsing costs ~40 µs, and the
# same few thousand vectors recur across the whole NVD, so results are cached.


@lru_cache(maxsize=65536)
def cvss_check(version: str, vector: str) -> tuple[str | None, float | None]:
    """(problem, computed base score) of a CVSS vector; problem is None for a valid vector."""
    try:
        if version.startswith("2"):
            v2 = CVSS2(vector)
            return None, float(v2.base_score)
        if version.startswith("3"):
            v3 = CVSS3(vector)
            return None, float(v3.base_score)
        if version.startswith("4"):
            v4 = CVSS4(vector)
            return None, float(v4.base_score)
    except CVSSError as exc:
        return f"invalid CVSS {version} vector {vector!r}: {exc}", None
    return f"unknown CVSS version {version!r}", None


def cvss_version_of(vector: str) -> str:
    """The CVSS version a vector declares (`CVSS:3.1/...`), or 2.0 for the prefix-less v2 form."""
    if vector.startswith("CVSS:"):
        return vector[5:].split("/", 1)[0]
    return "2.0"

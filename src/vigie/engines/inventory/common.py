"""What the inventory readers share: the result shape, limits, and identifier checks.

Readers never raise on bad input: they return every problem as an `InputError` naming the file,
the line (where the format has lines), the field and the record. Callers commit nothing when
`errors` is non-empty (all-or-nothing); `warnings` never block an import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import orjson
from packageurl import PackageURL

from vigie.engines.records import ASSET_KINDS, CRITICALITIES, EXPOSURES, AssetRecord, InputError

__all__ = [
    "ASSET_KINDS",
    "CRITICALITIES",
    "EXPOSURES",
    "InventoryLimits",
    "InventoryResult",
    "LineLocator",
    "Problems",
    "check_cpe",
    "check_purl",
    "check_size",
    "control_characters",
    "find_parent_cycles",
    "load_json",
    "single_line",
    "split_identifiers",
]


class InventoryResult(NamedTuple):
    """Assets read, errors (blocking: commit nothing), warnings (informative)."""

    assets: list[AssetRecord]
    errors: list[InputError]
    warnings: list[InputError]


@dataclass(frozen=True, slots=True)
class InventoryLimits:
    """Guards against files that would exhaust memory or time. All are per file."""

    max_bytes: int = 256 * 1024 * 1024  # refuse larger files before reading them
    max_rows: int = 500_000  # CSV rows / SBOM components
    max_field_chars: int = 4096  # one CSV cell or one JSON string used as a field
    max_errors: int = 200  # stop listing after this many errors


@dataclass(slots=True)
class Problems:
    """Collects errors and warnings for one file, stopping the listing at `max_errors`."""

    file: str
    max_errors: int = 200
    errors: list[InputError] = field(default_factory=list)
    warnings: list[InputError] = field(default_factory=list)

    @property
    def full(self) -> bool:
        return len(self.errors) >= self.max_errors

    def error(
        self,
        message: str,
        *,
        line: int | None = None,
        field: str | None = None,
        record: str | None = None,
    ) -> None:
        if len(self.errors) < self.max_errors:
            self.errors.append(InputError(self.file, message, line, field, record))
        if len(self.errors) == self.max_errors and not self.errors[-1].message.startswith("more"):
            self.errors.append(
                InputError(self.file, f"more than {self.max_errors} errors; stopped listing them")
            )

    def warn(
        self,
        message: str,
        *,
        line: int | None = None,
        field: str | None = None,
        record: str | None = None,
    ) -> None:
        if len(self.warnings) < self.max_errors:
            self.warnings.append(InputError(self.file, message, line, field, record))


def display_name(path: str | Path, name: str | None) -> str:
    return name if name is not None else str(path)


_SPLIT_IDENTIFIERS = re.compile(r"(?<!\\)\|")


def split_identifiers(value: str) -> list[str]:
    """Split a cell holding several CPEs or purls on spaces or `|` (an escaped `\\|` stays)."""
    out: list[str] = []
    for chunk in value.split():
        out.extend(p for p in _SPLIT_IDENTIFIERS.split(chunk) if p)
    return out


_CPE22 = re.compile(r"^cpe:/[aoh]?(?::[^:\s]*){0,6}$", re.IGNORECASE)
_CPE23_PART = frozenset({"a", "o", "h", "*", "-"})


def _split_unescaped_colons(value: str) -> list[str]:
    if "\\" not in value:
        return value.split(":")
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for char in value:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == ":":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def check_cpe(value: str) -> str | None:
    """A light syntactic check of a CPE name; the reason it is not one, or None when it looks valid.

    CPE 2.3 formatted strings need 13 colon-separated components (`\\:` escapes honoured), a
    part among a/o/h/*/- and a vendor and product; CPE 2.2 URIs start `cpe:/`. Full parsing and
    matching happen in vigie.engines.cpe.
    """
    if any(c.isspace() for c in value):
        return "a CPE name contains no spaces"
    lowered = value.lower()
    if lowered.startswith("cpe:/"):
        return None if _CPE22.match(value) else "not a CPE 2.2 URI (cpe:/part:vendor:product...)"
    if not lowered.startswith("cpe:2.3:"):
        return "a CPE name starts with cpe:2.3: (or cpe:/ for CPE 2.2)"
    parts = _split_unescaped_colons(value)
    if len(parts) != 13:
        return f"a CPE 2.3 name has 13 colon-separated components, this one has {len(parts)}"
    if parts[2].lower() not in _CPE23_PART:
        return f"CPE part {parts[2]!r} is not a, o, h, * or -"
    if not parts[3] or not parts[4]:
        return "a CPE 2.3 name needs a vendor and a product"
    return None


def check_purl(value: str) -> str | None:
    """The reason `value` is not a valid package URL (per packageurl-python), or None."""
    try:
        PackageURL.from_string(value)
    except ValueError as exc:
        return f"not a valid package URL: {exc}"
    return None


# C0 and C1 controls except tab, and the bidirectional embeddings, overrides and isolates.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


_LINE_BREAKS = re.compile(r"\s*(?:\r\n|\r|\n)\s*")


def single_line(value: str) -> str:
    """Line breaks inside a cell (quoted CSV, JSON strings) become one space: records are lines."""
    return _LINE_BREAKS.sub(" ", value) if ("\n" in value or "\r" in value) else value


def control_characters(value: str) -> bool:
    """True when text holds control characters (other than tab) or bidirectional overrides.

    Bidi overrides make a name display differently from what it is ("Trojan Source");
    inventories have no use for them, nor for newlines inside a name.
    """
    return _CONTROL.search(value) is not None


def find_parent_cycles(parents: dict[str, str | None]) -> list[list[str]]:
    """Every cycle in a child -> parent map, each listed once, in walk order."""
    state: dict[str, int] = {}  # 1: on the current walk, 2: done
    cycles: list[list[str]] = []
    for start in parents:
        if state.get(start):
            continue
        path: list[str] = []
        node: str | None = start
        while node is not None and node in parents and not state.get(node):
            state[node] = 1
            path.append(node)
            node = parents[node]
        if node is not None and state.get(node) == 1:
            cycles.append(path[path.index(node) :])
        for visited in path:
            state[visited] = 2
    return cycles


def check_size(path: Path, problems: Problems, limits: InventoryLimits) -> bool:
    """False (with an error) when the file cannot be read or is over `max_bytes`."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        problems.error(f"cannot read the file: {exc.strerror}")
        return False
    if size > limits.max_bytes:
        problems.error(f"{size} bytes; the limit is {limits.max_bytes}")
        return False
    return True


class LineLocator:
    """Finds the line of a JSON value in the raw document, for error messages only.

    orjson gives no positions, and errors are rare: the line is found by searching the raw bytes
    for the JSON-encoded record id, then for the encoded value after it. Values written with
    unusual escapes are not found (the line is then omitted; the JSON pointer still says where).
    """

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def line(self, record: str | None = None, value: str | None = None) -> int | None:
        start = 0
        if record:
            start = self.raw.find(orjson.dumps(record))
            if start < 0:
                return None
        position = start
        if value:
            position = self.raw.find(orjson.dumps(value), start)
            if position < 0:
                position = start
        if position == 0 and not record and not value:
            return None
        return self.raw.count(b"\n", 0, position) + 1


def load_json(path: Path, problems: Problems, limits: InventoryLimits) -> tuple[object, bytes]:
    """(document, raw bytes); document is None (with an error) when unreadable or not JSON."""
    if not check_size(path, problems, limits):
        return None, b""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.error(f"cannot read the file: {exc.strerror}")
        return None, b""
    try:
        return orjson.loads(raw), raw
    except orjson.JSONDecodeError as exc:
        problems.error(f"not valid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno)
        return None, raw

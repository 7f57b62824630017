"""What the inventory readers share: the result shape, limits, and identifier checks.

Readers never raise on bad input: they return every problem as an `InventoryProblem` (an
`InputError`) naming the file, the line (where the format has lines), the field and the record.
Each carries a `code` and its `params` besides the English `message`: the engines stay free of
any framework, and the platform renders the code in the reader's language (gettext) while the
command line prints the English message. Callers commit nothing when `errors` is non-empty
(all-or-nothing); `warnings` never block an import.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

import orjson
from packageurl import PackageURL

from vigie.engines.records import ASSET_KINDS, CRITICALITIES, EXPOSURES, AssetRecord, InputError

__all__ = [
    "ASSET_KINDS",
    "CRITICALITIES",
    "EXPOSURES",
    "MESSAGES",
    "AssetDefaults",
    "InventoryLimits",
    "InventoryProblem",
    "InventoryResult",
    "LineLocator",
    "Problems",
    "binary_content",
    "check_cpe",
    "check_purl",
    "check_size",
    "control_characters",
    "cpe_problem",
    "find_parent_cycles",
    "load_json",
    "purl_problem",
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
    max_errors: int = 200  # list this many errors; the others are only counted
    max_location_chars: int = 200  # what the platform stores of a care unit


@dataclass(frozen=True, slots=True)
class AssetDefaults:
    """Values for every asset of a file that does not set its own (CSV cell, vigie: property).

    An SBOM says what is in a device, never where it is nor what it keeps alive: the person
    importing it does, for the whole file, so that its clinical weight is not left unknown.
    """

    criticality: str | None = None
    exposure: str | None = None
    location: str = ""


# English messages, one per code, `str.format` style. The platform has its own translated
# template for each code (vigie.inventory.problems); a test checks both lists match.
MESSAGES: dict[str, str] = {
    # whole file
    "read_failed": "cannot read the file: {reason}",
    "too_large": "{size} bytes; the limit is {limit}",
    "empty": "not an inventory: the file is empty",
    "not_text": (
        "not a CSV text file (UTF-8 or Latin-1/Windows-1252): {hint}; "
        "export or save the inventory as CSV UTF-8"
    ),
    "not_inventory": "not an inventory: {hint}",
    "not_json": "not valid JSON: {reason} (column {column})",
    "more_errors": "and {count} more errors, not listed",
    "root_kind_unknown": "root kind {value!r} unknown; allowed: {allowed}",
    # fields, any format
    "too_long": "{length} characters long; the limit is {limit}",
    "control_characters": "contains control characters or bidirectional overrides",
    "unknown_value": "unknown {column} {value!r}; allowed: {allowed}",
    "bad_identifier": "{value!r}: {reason_text}",
    "identifier_ignored": "{value!r} ignored: {reason_text}",
    "not_string": "expected a string, found {found}; ignored",
    "not_list": "{what} must be a list",
    "component_not_object": "a component must be a JSON object",
    "cyclonedx_not_object": "a CycloneDX document is a JSON object",
    "package_not_object": "a package must be a JSON object",
    "spdx_not_object": "an SPDX document is a JSON object",
    # CSV
    "cp1252_fallback": (
        "not valid UTF-8 (first at this line); read as Windows-1252: check accented letters"
    ),
    "column_twice": "column {column!r} appears twice in the header",
    "columns_ignored": "columns ignored: {columns}",
    "no_id_column": "the header has no 'id' column; expected the columns {expected}",
    "columns_absent": "columns absent, read as empty: {columns}",
    "formula": "starts like a spreadsheet formula; kept as plain text",
    "too_many_fields": (
        "the row has {count} fields, the header {width}: a delimiter inside an unquoted value?"
    ),
    "too_few_fields": (
        "the row has {count} fields, the header {width}; missing ones read as empty"
    ),
    "id_required": "id is required",
    "id_duplicate": "id {value!r} is already used on line {first_line}",
    "too_many_rows": "more than {limit} rows, the limit",
    "parent_unknown": "parent {value!r} is not the id of any row",
    "parent_cycle": "parents form a cycle: {chain} -> {start}",
    "csv_unreadable": "unreadable CSV ({detail}); an unclosed quote?",
    "no_header": "the file is empty: expected a header line with an 'id' column",
    # CycloneDX
    "bom_format": "bomFormat must be 'CycloneDX'",
    "cyclonedx_old": "CycloneDX {version} is older than 1.4; read as 1.4",
    "cyclonedx_unsupported": "specVersion {version!r} is not supported; expected 1.4, 1.5 or 1.6",
    "no_bom_ref": "no bom-ref; generated the id {generated}",
    "repeats_root": "repeats metadata.component; read once",
    "bom_ref_duplicate": "bom-ref {value!r} is already used at {first_at}",
    "name_required": "a component needs a name",
    "no_type": "no component type; kind set to other",
    "unknown_type": "unknown component type {value!r}; kind set to other",
    "too_many_components": "more than {limit} components, the limit",
    "no_components": (
        "no components: a CycloneDX inventory needs metadata.component or components"
    ),
    # SPDX
    "spdxid_required": "a package needs an SPDXID",
    "spdxid_duplicate": "SPDXID {value!r} is already used at {first_at}",
    "package_name_required": "a package needs a name",
    "relationship_cycle": "relationships form a cycle ({chain}); parent of {closing} dropped",
    "spdx_old": "{version} is older than SPDX-2.3; read as 2.3",
    "spdx_unsupported": "spdxVersion {version!r} is not supported; expected SPDX-2.3",
    "too_many_packages": "more than {limit} packages, the limit",
    "no_packages": "no packages: an SPDX inventory lists its packages",
}

# Why a file is not text or not an inventory (the `hint` of not_text / not_inventory), and why
# a CPE or purl is not one (the `reason` of bad_identifier / identifier_ignored).
HINTS: dict[str, str] = {
    "binary": "it holds binary data, or text in another encoding",
    "gzip": "a gzip archive; decompress it first",
    "zip": "a ZIP archive (an Excel .xlsx workbook?); save the sheet as CSV",
    "xls": "an Excel .xls workbook; save the sheet as CSV",
    "pdf": "a PDF document, not an inventory",
    "cyclonedx_xml": "CycloneDX XML; only CycloneDX JSON is read, export the SBOM as JSON",
    "spdx_xml": "SPDX RDF/XML; only SPDX JSON is read, export the SBOM as JSON",
    "xml": "XML or HTML, not an inventory",
    "spdx_tag_value": "SPDX tag-value; only SPDX JSON is read, convert it (e.g. with pyspdxtools)",
    "spdx3": "SPDX 3 JSON-LD; only SPDX 2.3 JSON is read",
    "json_unknown": "JSON that is neither CycloneDX (no bomFormat) nor SPDX (no spdxVersion)",
}
REASONS: dict[str, str] = {
    "cpe_spaces": "a CPE name contains no spaces",
    "cpe22_invalid": "not a CPE 2.2 URI (cpe:/part:vendor:product...)",
    "cpe_prefix": "a CPE name starts with cpe:2.3: (or cpe:/ for CPE 2.2)",
    "cpe23_components": "a CPE 2.3 name has 13 colon-separated components, this one has {count}",
    "cpe_part": "CPE part {part!r} is not a, o, h, * or -",
    "cpe_vendor_product": "a CPE 2.3 name needs a vendor and a product",
    "purl_invalid": "not a valid package URL: {detail}",
}

Params = Mapping[str, object]


def english(code: str, params: Params) -> str:
    """The English message of a code (what the command line prints and the API returns)."""
    values = dict(params)
    if "hint" in values:
        values["hint"] = HINTS.get(str(values["hint"]), str(values["hint"]))
    if "reason" in values:
        values["reason_text"] = REASONS.get(str(values["reason"]), str(values["reason"])).format(
            **values
        )
    return MESSAGES[code].format(**values)


@dataclass(frozen=True, slots=True)
class InventoryProblem(InputError):
    """An InputError that also says what it is: `code` and `params` (JSON values) for gettext."""

    code: str = ""
    params: Params = field(default_factory=dict, hash=False, compare=False)


@dataclass(slots=True)
class Problems:
    """Collects errors and warnings for one file, listing at most `max_errors` of each.

    Errors past the cap are still counted: `result()` ends the list with one `more_errors`
    entry saying how many were left out, so a person knows the size of the job.
    """

    file: str
    max_errors: int = 200
    errors: list[InputError] = field(default_factory=list)
    warnings: list[InputError] = field(default_factory=list)
    unlisted: int = 0

    @property
    def full(self) -> bool:
        return len(self.errors) >= self.max_errors

    def error(
        self,
        code: str,
        *,
        line: int | None = None,
        field: str | None = None,
        record: str | None = None,
        **params: object,
    ) -> None:
        if self.full:
            self.unlisted += 1
            return
        self.errors.append(
            InventoryProblem(self.file, english(code, params), line, field, record, code, params)
        )

    def warn(
        self,
        code: str,
        *,
        line: int | None = None,
        field: str | None = None,
        record: str | None = None,
        **params: object,
    ) -> None:
        if len(self.warnings) < self.max_errors:
            self.warnings.append(
                InventoryProblem(
                    self.file, english(code, params), line, field, record, code, params
                )
            )

    def result(self, assets: list[AssetRecord]) -> InventoryResult:
        errors = list(self.errors)
        if self.unlisted:
            params = {"count": self.unlisted}
            errors.append(
                InventoryProblem(
                    self.file,
                    english("more_errors", params),
                    code="more_errors",
                    params=params,
                )
            )
        return InventoryResult(assets, errors, list(self.warnings))


def check_defaults(defaults: AssetDefaults, problems: Problems, limits: InventoryLimits) -> bool:
    """False (with errors naming the field) when the caller's defaults are not valid values."""
    valid = True
    for column, value, allowed in (
        ("criticality", defaults.criticality, CRITICALITIES),
        ("exposure", defaults.exposure, EXPOSURES),
    ):
        if value is not None and value not in allowed:
            problems.error(
                "unknown_value",
                field=column,
                column=column,
                value=value,
                allowed=", ".join(allowed),
            )
            valid = False
    if len(defaults.location) > limits.max_location_chars:
        problems.error(
            "too_long",
            field="location",
            length=len(defaults.location),
            limit=limits.max_location_chars,
        )
        valid = False
    elif control_characters(defaults.location):
        problems.error("control_characters", field="location")
        valid = False
    return valid


def apply_defaults(record: AssetRecord, defaults: AssetDefaults | None) -> AssetRecord:
    """The record with the defaults filling what it leaves unknown."""
    if defaults is None:
        return record
    return replace(
        record,
        criticality=record.criticality or defaults.criticality,
        exposure=record.exposure or defaults.exposure,
        location=record.location or defaults.location,
    )


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


def cpe_problem(value: str) -> tuple[str, dict[str, object]] | None:
    """A light syntactic check of a CPE name: (reason code, params), or None when it looks valid.

    CPE 2.3 formatted strings need 13 colon-separated components (`\\:` escapes honoured), a
    part among a/o/h/*/- and a vendor and product; CPE 2.2 URIs start `cpe:/`. Full parsing and
    matching happen in vigie.engines.cpe.
    """
    if any(c.isspace() for c in value):
        return "cpe_spaces", {}
    lowered = value.lower()
    if lowered.startswith("cpe:/"):
        return None if _CPE22.match(value) else ("cpe22_invalid", {})
    if not lowered.startswith("cpe:2.3:"):
        return "cpe_prefix", {}
    parts = _split_unescaped_colons(value)
    if len(parts) != 13:
        return "cpe23_components", {"count": len(parts)}
    if parts[2].lower() not in _CPE23_PART:
        return "cpe_part", {"part": parts[2]}
    if not parts[3] or not parts[4]:
        return "cpe_vendor_product", {}
    return None


def purl_problem(value: str) -> tuple[str, dict[str, object]] | None:
    """Why `value` is not a valid package URL (per packageurl-python), or None."""
    try:
        PackageURL.from_string(value)
    except ValueError as exc:
        return "purl_invalid", {"detail": str(exc)}
    return None


def reason_text(problem: tuple[str, dict[str, object]] | None) -> str | None:
    if problem is None:
        return None
    code, params = problem
    return REASONS[code].format(**params)


def check_cpe(value: str) -> str | None:
    """The reason (English) `value` is not a CPE name, or None when it looks valid."""
    return reason_text(cpe_problem(value))


def check_purl(value: str) -> str | None:
    """The reason (English) `value` is not a valid package URL, or None."""
    return reason_text(purl_problem(value))


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


# C0 controls that no text file of ours holds (tab, line feed, carriage return, form feed and
# the DOS end-of-file mark do appear in old exports), DEL, and the five bytes Windows-1252
# leaves undefined.
_NOT_TEXT_BYTES = bytes(
    [b for b in range(0x20) if b not in (0x09, 0x0A, 0x0C, 0x0D, 0x1A)]
    + [0x7F, 0x81, 0x8D, 0x8F, 0x90, 0x9D]
)
_MAX_HIGH_SHARE = 0.3


def binary_content(head: bytes, *, complete: bool) -> bool:
    """True when `head` (the first bytes of a file; all of it when `complete`) is not text in an
    encoding we read: UTF-16 with a byte order mark, UTF-8, or Windows-1252 (Latin-1).

    UTF-8 and UTF-16 are recognised by decoding. Every byte sequence is Windows-1252 or nearly,
    so an 8-bit file counts as text only when it holds no control byte and no more than 30 % of
    bytes above 127 (accented letters in a French inventory: a few percent; random or
    compressed data: half). The test is the same whatever the file's size, so random bytes get
    the same verdict at 10 bytes as at 100 KiB.
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            codecs.getincrementaldecoder("utf-16")().decode(head, final=complete)
        except UnicodeDecodeError:
            return True
        return False
    if b"\x00" in head:
        return True
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
    except UnicodeDecodeError:
        pass
    else:
        return False  # UTF-8 text; stray control characters are reported per cell
    if len(head.translate(None, _NOT_TEXT_BYTES)) != len(head):
        return True
    high = sum(1 for byte in head if byte >= 0x80)
    return high > _MAX_HIGH_SHARE * len(head)


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
        problems.error("read_failed", reason=exc.strerror)
        return False
    if size > limits.max_bytes:
        problems.error("too_large", size=size, limit=limits.max_bytes)
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
        problems.error("read_failed", reason=exc.strerror)
        return None, b""
    try:
        return orjson.loads(raw), raw
    except orjson.JSONDecodeError as exc:
        problems.error("not_json", line=exc.lineno, reason=exc.msg, column=exc.colno)
        return None, raw

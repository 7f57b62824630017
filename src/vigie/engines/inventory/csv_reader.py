"""The inventory CSV of docs INTERFACES ("Inventory CSV"), read row by row.

Header `id,name,kind,vendor,product,version,cpe,purl,parent,criticality,exposure,location` in any
order (case and surrounding spaces ignored); extra columns are ignored with a warning, missing
ones read as empty (with a warning) except `id`, which is required. Enumerations
(`kind`, `criticality`, `exposure`) are case-insensitive; an empty `kind` is `other`, an empty
criticality or exposure is unknown (None).

What real files bring, and what we do:

* Encodings: UTF-8 with or without BOM; UTF-16 with BOM (Excel "Unicode text"); anything else
  that is not UTF-8 is read as Windows-1252 with a warning naming the first line that is not
  UTF-8 (French Excel's default), and refused when even that fails.
* Delimiter: `,`, `;` (French Excel) or tab, chosen as the one that splits the header into the
  most known column names.
* Windows or Unix line endings; quoted fields spanning lines: `line` is always the physical line
  where the row starts, counted in the file as a person opens it.
* Hostile cells: a cell starting with `=`, `+`, `-` or `@` is kept as text (never evaluated) with a
  warning, since a spreadsheet opening an export could run it; control characters and
  bidirectional overrides are errors; a cell over `max_field_chars` is an error.
* Size: the file is streamed; more than `max_rows` rows is an error and reading stops; files over
  `max_bytes` are refused before reading.
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

from vigie.engines.inventory.common import (
    ASSET_KINDS,
    CRITICALITIES,
    EXPOSURES,
    InventoryLimits,
    InventoryResult,
    Problems,
    check_cpe,
    check_purl,
    check_size,
    control_characters,
    display_name,
    find_parent_cycles,
    single_line,
    split_identifiers,
)
from vigie.engines.records import AssetRecord

COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "kind",
    "vendor",
    "product",
    "version",
    "cpe",
    "purl",
    "parent",
    "criticality",
    "exposure",
    "location",
)
_DELIMITERS = (",", ";", "\t")
_FORMULA_START = ("=", "+", "-", "@")
_CHUNK = 1 << 20


def _first_bad_utf8_line(path: Path) -> int | None:
    """The 1-based line of the first byte sequence that is not UTF-8, or None if all is UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    newlines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return newlines + chunk.count(b"\n", 0, exc.start) + 1
            newlines += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return newlines + 1
    return None


def _decodes_as(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _choose_encoding(path: Path, problems: Problems) -> str | None:
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        if _decodes_as(path, "utf-16"):
            return "utf-16"
        problems.error("starts with a UTF-16 byte order mark but is not valid UTF-16")
        return None
    bad_line = _first_bad_utf8_line(path)
    if bad_line is None:
        return "utf-8-sig"
    if _decodes_as(path, "cp1252"):
        problems.warn(
            "not valid UTF-8 (first at this line); read as Windows-1252: check accented letters",
            line=bad_line,
        )
        return "cp1252"
    problems.error("neither UTF-8 nor Windows-1252 text; save the file as CSV UTF-8", line=bad_line)
    return None


def _choose_delimiter(header_line: str) -> str:
    def known(delimiter: str) -> int:
        cells = next(csv.reader([header_line], delimiter=delimiter), [])
        return sum(1 for c in cells if c.strip().strip("\ufeff").lower() in COLUMNS)

    return max(_DELIMITERS, key=known)  # ties keep the first: `,`


class _CsvInventory:
    """State of one read: header mapping, ids seen, records."""

    def __init__(self, problems: Problems, limits: InventoryLimits) -> None:
        self.problems = problems
        self.limits = limits
        self.columns: dict[str, int] = {}
        self.width = 0
        self.assets: list[AssetRecord] = []
        self.id_lines: dict[str, int] = {}

    def read_header(self, line: int, cells: list[str]) -> bool:
        names = [c.strip().strip("\ufeff").lower() for c in cells]
        self.width = len(names)
        extra: list[str] = []
        for index, column in enumerate(names):
            if column in self.columns:
                self.problems.error(
                    f"column {column!r} appears twice in the header", line=line, field=column
                )
            elif column in COLUMNS:
                self.columns[column] = index
            elif column:
                extra.append(cells[index].strip())
        if extra:
            self.problems.warn(f"columns ignored: {', '.join(extra)}", line=line)
        if "id" not in self.columns:
            expected = ",".join(COLUMNS)
            self.problems.error(
                f"the header has no 'id' column; expected the columns {expected}",
                line=line,
                field="id",
            )
            return False
        missing = [c for c in COLUMNS if c not in self.columns]
        if missing:
            self.problems.warn(f"columns absent, read as empty: {', '.join(missing)}", line=line)
        return True

    def _cell(self, line: int, row: list[str], column: str, record: str | None) -> str:
        index = self.columns.get(column)
        if index is None or index >= len(row):
            return ""
        value = single_line(row[index].strip())
        if len(value) > self.limits.max_field_chars:
            self.problems.error(
                f"{len(value)} characters long; the limit is {self.limits.max_field_chars}",
                line=line,
                field=column,
                record=record,
            )
            return ""
        if control_characters(value):
            self.problems.error(
                "contains control characters or bidirectional overrides",
                line=line,
                field=column,
                record=record,
            )
            return ""
        if value.startswith(_FORMULA_START) and column not in ("version",):
            self.problems.warn(
                "starts like a spreadsheet formula; kept as plain text",
                line=line,
                field=column,
                record=record,
            )
        return value

    def _enumeration(
        self, line: int, value: str, column: str, allowed: tuple[str, ...], record: str
    ) -> str | None:
        if not value:
            return None
        lowered = value.lower()
        if lowered in allowed:
            return lowered
        self.problems.error(
            f"unknown {column} {value!r}; allowed: {', '.join(allowed)}",
            line=line,
            field=column,
            record=record,
        )
        return None

    def _identifiers(
        self, line: int, value: str, column: str, record: str, check: object
    ) -> tuple[str, ...]:
        found: list[str] = []
        for identifier in split_identifiers(value):
            reason = check_cpe(identifier) if check == "cpe" else check_purl(identifier)
            if reason is not None:
                self.problems.error(
                    f"{identifier!r}: {reason}", line=line, field=column, record=record
                )
            else:
                found.append(identifier)
        return tuple(found)

    def read_row(self, line: int, row: list[str]) -> None:
        if len(row) > self.width:
            self.problems.error(
                f"the row has {len(row)} fields, the header {self.width}: a delimiter inside an "
                "unquoted value?",
                line=line,
            )
            return
        if len(row) < self.width:
            self.problems.warn(
                f"the row has {len(row)} fields, the header {self.width}; missing ones read as "
                "empty",
                line=line,
            )
        raw_id = self._cell(line, row, "id", None)
        if not raw_id:
            self.problems.error("id is required", line=line, field="id")
            return
        if raw_id in self.id_lines:
            self.problems.error(
                f"id {raw_id!r} is already used on line {self.id_lines[raw_id]}",
                line=line,
                field="id",
                record=raw_id,
            )
            return
        self.id_lines[raw_id] = line
        cell = {c: self._cell(line, row, c, raw_id) for c in COLUMNS if c != "id"}
        kind = self._enumeration(line, cell["kind"], "kind", ASSET_KINDS, raw_id) or "other"
        criticality = self._enumeration(
            line, cell["criticality"], "criticality", CRITICALITIES, raw_id
        )
        exposure = self._enumeration(line, cell["exposure"], "exposure", EXPOSURES, raw_id)
        name = cell["name"] or " ".join(p for p in (cell["vendor"], cell["product"]) if p)
        self.assets.append(
            AssetRecord(
                id=raw_id,
                name=name or raw_id,
                kind=kind,
                vendor=cell["vendor"],
                product=cell["product"],
                version=cell["version"],
                cpes=self._identifiers(line, cell["cpe"], "cpe", raw_id, "cpe"),
                purls=self._identifiers(line, cell["purl"], "purl", raw_id, "purl"),
                parent=cell["parent"] or None,
                criticality=criticality,
                exposure=exposure,
                location=cell["location"],
                line=line,
            )
        )

    def check_parents(self) -> None:
        parents = {a.id: a.parent for a in self.assets}
        for asset in self.assets:
            if asset.parent is not None and asset.parent not in parents:
                self.problems.error(
                    f"parent {asset.parent!r} is not the id of any row",
                    line=asset.line,
                    field="parent",
                    record=asset.id,
                )
        for cycle in find_parent_cycles(parents):
            chain = " -> ".join(f"{node} (line {self.id_lines[node]})" for node in cycle)
            self.problems.error(
                f"parents form a cycle: {chain} -> {cycle[0]}",
                line=self.id_lines[cycle[0]],
                field="parent",
                record=cycle[0],
            )


def read_csv_inventory(
    path: str | Path, *, name: str | None = None, limits: InventoryLimits | None = None
) -> InventoryResult:
    """Read an inventory CSV. `name` is how errors call the file (default: the path)."""
    limits = limits or InventoryLimits()
    path = Path(path)
    problems = Problems(display_name(path, name), limits.max_errors)
    if not check_size(path, problems, limits):
        return InventoryResult([], problems.errors, problems.warnings)
    try:
        return _read(path, problems, limits)
    except OSError as exc:
        problems.error(f"cannot read the file: {exc.strerror}")
        return InventoryResult([], problems.errors, problems.warnings)


def _read(path: Path, problems: Problems, limits: InventoryLimits) -> InventoryResult:
    encoding = _choose_encoding(path, problems)
    if encoding is None:
        return InventoryResult([], problems.errors, problems.warnings)
    inventory = _CsvInventory(problems, limits)
    with path.open("r", encoding=encoding, newline="") as handle:
        delimiter = _choose_delimiter(handle.readline())
        handle.seek(0)
        reader = csv.reader(handle, delimiter=delimiter)
        header_seen = False
        count = 0
        previous_end = 0  # reader.line_num counts physical lines, quoted newlines included
        try:
            for row in reader:
                line, previous_end = previous_end + 1, reader.line_num
                if not any(cell.strip() for cell in row):
                    continue  # blank lines and rows of empty cells (spreadsheet leftovers)
                if not header_seen:
                    header_seen = True
                    if not inventory.read_header(line, row):
                        break
                    continue
                count += 1
                if count > limits.max_rows:
                    problems.error(f"more than {limits.max_rows} rows, the limit", line=line)
                    break
                inventory.read_row(line, row)
                if problems.full:
                    break
        except csv.Error as exc:
            # The csv module's own cell limit (128 KiB) is reached by an unclosed quote.
            problems.error(f"unreadable CSV ({exc}); an unclosed quote?", line=previous_end + 1)
        if not header_seen:
            problems.error("the file is empty: expected a header line with an 'id' column")
    if not problems.full:
        inventory.check_parents()
    return InventoryResult(inventory.assets, problems.errors, problems.warnings)

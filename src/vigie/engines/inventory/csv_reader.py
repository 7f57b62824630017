"""The inventory CSV of docs INTERFACES ("Inventory CSV"), read row by row.

Header `id,name,kind,vendor,product,version,cpe,purl,parent,criticality,exposure,location` in any
order (case and surrounding spaces ignored); extra columns are ignored with a warning, missing
ones read as empty (with a warning) except `id`, which is required. Enumerations
(`kind`, `criticality`, `exposure`) are case-insensitive; an empty `kind` is `other`, an empty
criticality or exposure is unknown (None).

What real files bring, and what we do:

* Encodings: UTF-8 with or without BOM; UTF-16 with BOM (Excel "Unicode text"); anything else
  that is not UTF-8 is read as Windows-1252 with a warning naming the first line that is not
  UTF-8 (French Excel's default), and refused as "not a CSV text file" when it is not text
  (control bytes, mostly non-ASCII: common.binary_content) or even that fails.
* Delimiter: `,`, `;` (French Excel) or tab, chosen as the one that splits the header into the
  most known column names.
* Windows or Unix line endings; quoted fields spanning lines: `line` is always the physical line
  where the row starts, counted in the file as a person opens it.
* Hostile cells: a cell starting with `=`, `+`, `-` or `@` is kept as text (never evaluated) with a
  warning, since a spreadsheet opening an export could run it; control characters and
  bidirectional overrides are errors; a cell over `max_field_chars` is an error.
* Size: the file is streamed; more than `max_rows` rows is an error and reading stops; files over
  `max_bytes` are refused before reading.
* Every problem of a row is reported, each with its column: a row without an id still has its
  other cells checked.
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

from vigie.engines.inventory.common import (
    ASSET_KINDS,
    CRITICALITIES,
    EXPOSURES,
    AssetDefaults,
    InventoryLimits,
    InventoryResult,
    Problems,
    apply_defaults,
    binary_content,
    check_defaults,
    check_size,
    control_characters,
    cpe_problem,
    display_name,
    find_parent_cycles,
    purl_problem,
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
_HEAD = 64 * 1024  # as much as the loader looks at to tell text from binary


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
        head = handle.read(_HEAD + 1)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        if _decodes_as(path, "utf-16"):
            return "utf-16"
        problems.error("not_text", hint="binary")
        return None
    bad_line = _first_bad_utf8_line(path)
    if bad_line is None:
        return "utf-8-sig"
    if not binary_content(head[:_HEAD], complete=len(head) <= _HEAD) and _decodes_as(
        path, "cp1252"
    ):
        problems.warn("cp1252_fallback", line=bad_line)
        return "cp1252"
    problems.error("not_text", line=bad_line, hint="binary")
    return None


def _choose_delimiter(header_line: str) -> str:
    def known(delimiter: str) -> int:
        cells = next(csv.reader([header_line], delimiter=delimiter), [])
        return sum(1 for c in cells if c.strip().strip("\ufeff").lower() in COLUMNS)

    return max(_DELIMITERS, key=known)  # ties keep the first: `,`


class _CsvInventory:
    """State of one read: header mapping, ids seen, records."""

    def __init__(
        self, problems: Problems, limits: InventoryLimits, defaults: AssetDefaults | None
    ) -> None:
        self.problems = problems
        self.limits = limits
        self.defaults = defaults
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
                self.problems.error("column_twice", line=line, field=column, column=column)
            elif column in COLUMNS:
                self.columns[column] = index
            elif column:
                extra.append(cells[index].strip())
        if extra:
            self.problems.warn("columns_ignored", line=line, columns=", ".join(extra))
        if "id" not in self.columns:
            expected = ",".join(COLUMNS)
            self.problems.error("no_id_column", line=line, field="id", expected=expected)
            return False
        missing = [c for c in COLUMNS if c not in self.columns]
        if missing:
            self.problems.warn("columns_absent", line=line, columns=", ".join(missing))
        return True

    def _cell(self, line: int, row: list[str], column: str, record: str | None) -> str:
        index = self.columns.get(column)
        if index is None or index >= len(row):
            return ""
        value = single_line(row[index].strip())
        if len(value) > self.limits.max_field_chars:
            self.problems.error(
                "too_long",
                line=line,
                field=column,
                record=record,
                length=len(value),
                limit=self.limits.max_field_chars,
            )
            return ""
        if control_characters(value):
            self.problems.error("control_characters", line=line, field=column, record=record)
            return ""
        if value.startswith(_FORMULA_START) and column not in ("version",):
            self.problems.warn("formula", line=line, field=column, record=record)
        return value

    def _enumeration(
        self, line: int, value: str, column: str, allowed: tuple[str, ...], record: str | None
    ) -> str | None:
        if not value:
            return None
        lowered = value.lower()
        if lowered in allowed:
            return lowered
        self.problems.error(
            "unknown_value",
            line=line,
            field=column,
            record=record,
            column=column,
            value=value,
            allowed=", ".join(allowed),
        )
        return None

    def _identifiers(
        self, line: int, value: str, column: str, record: str | None
    ) -> tuple[str, ...]:
        found: list[str] = []
        for identifier in split_identifiers(value):
            problem = cpe_problem(identifier) if column == "cpe" else purl_problem(identifier)
            if problem is not None:
                reason, params = problem
                self.problems.error(
                    "bad_identifier",
                    line=line,
                    field=column,
                    record=record,
                    value=identifier,
                    reason=reason,
                    **params,
                )
            else:
                found.append(identifier)
        return tuple(found)

    def read_row(self, line: int, row: list[str]) -> None:
        if len(row) > self.width:
            # Cells no longer line up with columns: checking them would name the wrong ones.
            self.problems.error("too_many_fields", line=line, count=len(row), width=self.width)
            return
        if len(row) < self.width:
            self.problems.warn("too_few_fields", line=line, count=len(row), width=self.width)
        raw_id = self._cell(line, row, "id", None)
        record: str | None = raw_id or None
        keep = True
        if not raw_id:
            index = self.columns["id"]
            if index >= len(row) or not row[index].strip():  # else _cell said what is wrong
                self.problems.error("id_required", line=line, field="id")
            keep = False
        elif raw_id in self.id_lines:
            self.problems.error(
                "id_duplicate",
                line=line,
                field="id",
                record=raw_id,
                value=raw_id,
                first_line=self.id_lines[raw_id],
            )
            keep = False
        else:
            self.id_lines[raw_id] = line
        # The other cells are checked even when the row cannot be kept, so that one upload
        # lists every problem of the row, not one per attempt.
        cell = {c: self._cell(line, row, c, record) for c in COLUMNS if c != "id"}
        kind = self._enumeration(line, cell["kind"], "kind", ASSET_KINDS, record) or "other"
        criticality = self._enumeration(
            line, cell["criticality"], "criticality", CRITICALITIES, record
        )
        exposure = self._enumeration(line, cell["exposure"], "exposure", EXPOSURES, record)
        cpes = self._identifiers(line, cell["cpe"], "cpe", record)
        purls = self._identifiers(line, cell["purl"], "purl", record)
        if not keep:
            return
        name = cell["name"] or " ".join(p for p in (cell["vendor"], cell["product"]) if p)
        self.assets.append(
            apply_defaults(
                AssetRecord(
                    id=raw_id,
                    name=name or raw_id,
                    kind=kind,
                    vendor=cell["vendor"],
                    product=cell["product"],
                    version=cell["version"],
                    cpes=cpes,
                    purls=purls,
                    parent=cell["parent"] or None,
                    criticality=criticality,
                    exposure=exposure,
                    location=cell["location"],
                    line=line,
                ),
                self.defaults,
            )
        )

    def check_parents(self) -> None:
        parents = {a.id: a.parent for a in self.assets}
        for asset in self.assets:
            if asset.parent is not None and asset.parent not in parents:
                self.problems.error(
                    "parent_unknown",
                    line=asset.line,
                    field="parent",
                    record=asset.id,
                    value=asset.parent,
                )
        for cycle in find_parent_cycles(parents):
            chain = " -> ".join(f"{node} (line {self.id_lines[node]})" for node in cycle)
            self.problems.error(
                "parent_cycle",
                line=self.id_lines[cycle[0]],
                field="parent",
                record=cycle[0],
                chain=chain,
                start=cycle[0],
                cycle=[[node, self.id_lines[node]] for node in cycle],
            )


def read_csv_inventory(
    path: str | Path,
    *,
    name: str | None = None,
    limits: InventoryLimits | None = None,
    defaults: AssetDefaults | None = None,
) -> InventoryResult:
    """Read an inventory CSV. `name` is how errors call the file (default: the path);
    `defaults` fill the criticality, exposure and location of rows that leave them empty."""
    limits = limits or InventoryLimits()
    path = Path(path)
    problems = Problems(display_name(path, name), limits.max_errors)
    if defaults is not None and not check_defaults(defaults, problems, limits):
        return problems.result([])
    if not check_size(path, problems, limits):
        return problems.result([])
    try:
        return _read(path, problems, limits, defaults)
    except OSError as exc:
        problems.error("read_failed", reason=exc.strerror)
        return problems.result([])


def _read(
    path: Path, problems: Problems, limits: InventoryLimits, defaults: AssetDefaults | None
) -> InventoryResult:
    encoding = _choose_encoding(path, problems)
    if encoding is None:
        return problems.result([])
    inventory = _CsvInventory(problems, limits, defaults)
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
                    problems.error("too_many_rows", line=line, limit=limits.max_rows)
                    break
                # Past the listing cap, rows are still read so that errors are counted.
                inventory.read_row(line, row)
        except csv.Error as exc:
            # The csv module's own cell limit (128 KiB) is reached by an unclosed quote.
            problems.error("csv_unreadable", line=previous_end + 1, detail=str(exc))
        if not header_seen:
            problems.error("no_header")
    inventory.check_parents()
    return problems.result(inventory.assets)

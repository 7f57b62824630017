"""The indicator CSV of docs INTERFACES ("Indicators"), read row by row.

Header with `type` and `value` (case and surrounding spaces ignored, any order), optional
`id`, `tlp`, `tags`, `valid_from`, `valid_until`, `source`; other columns are ignored.
Leading `#` comment lines and blank lines before the header are skipped, as are blank and
`#` rows after it. The delimiter is `,`, or `;` / tab when that is what splits the header
into `type` and `value` (French spreadsheets write `;`).

A row with any problem is not loaded, and every problem of the row is reported with its
physical line (where the row starts, quoted line breaks counted) and its column: a row whose
TLP cannot be read must not be shared as if it had none. The other rows still load.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import TYPE_CHECKING

from vigie.engines.indicators.model import (
    IndicatorProblemError,
    IndicatorRecord,
    IndicatorType,
    Problem,
    ProblemLog,
    ReadResult,
    Tlp,
    cut,
    tlp_from_text,
    type_from_name,
)
from vigie.engines.indicators.normalise import CANONICAL_DOMAIN, CANONICAL_IPV4, normalise
from vigie.engines.indicators.text import decode_text, parse_datetime, split_tags

if TYPE_CHECKING:
    from _csv import Reader

__all__ = ["COLUMNS", "MAX_FIELD_CHARS", "find_header", "read_csv", "read_csv_text"]

COLUMNS: tuple[str, ...] = (
    "type",
    "value",
    "id",
    "tlp",
    "tags",
    "valid_from",
    "valid_until",
    "source",
)
MAX_FIELD_CHARS = 2000
_DELIMITERS = (",", ";", "\t")
_CACHE_SIZE = 10_000  # distinct type / TLP / tag / date cells remembered per file


def _cells(line: str, delimiter: str) -> list[str]:
    return [cell.strip().strip('"').strip().lower() for cell in line.split(delimiter)]


def find_header(text: str) -> tuple[int, str] | None:
    """(1-based line, delimiter) of a header naming `type` and `value`, or None.

    Only the first line that is neither blank nor a `#` comment can be the header.
    """
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        for delimiter in _DELIMITERS:
            cells = _cells(stripped, delimiter)
            if "type" in cells and "value" in cells:
                return number, delimiter
        return None
    return None


def read_csv(data: bytes) -> ReadResult:
    text = decode_text(data)
    if text is None:
        return ReadResult("csv", problems=[Problem("not_text", {})])
    return read_csv_text(text)


def read_csv_text(text: str) -> ReadResult:
    """The same, from text already decoded (read_indicator_file decodes once)."""
    result = ReadResult("csv")
    if not text.strip():
        result.problems.append(Problem("empty_file", {}))
        return result
    found = find_header(text)
    log = ProblemLog()
    if found is None:
        header_line, delimiter = _first_content_line(text), ","
    else:
        header_line, delimiter = found
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    for row in reader:
        if reader.line_num >= header_line:
            header = [cell.strip().lower() for cell in row]
            break
    if header is None:
        result.problems.append(Problem("empty_file", {}))
        return result
    index = {}
    for position, name in enumerate(header):
        if name in COLUMNS and name not in index:
            index[name] = position
    missing = [name for name in ("type", "value") if name not in index]
    if missing:
        for name in missing:
            log.add("missing_column", {"column": name}, line=header_line, field=name)
        result.problems = log.finish()
        return result
    _read_rows(reader, index, result, log)
    result.problems = log.finish()
    return result


def _first_content_line(text: str) -> int:
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return number
    return 1


def _read_rows(reader: Reader, index: dict[str, int], result: ReadResult, log: ProblemLog) -> None:
    # Every row is cut or padded to end with one empty cell at `absent`, the index every
    # missing optional column points to: the hot loop then reads cells without bounds checks.
    # `absent` lies past the last column we read, so an unknown column never fills it.
    absent = max(index.values()) + 1
    at = {name: index.get(name, absent) for name in COLUMNS}
    type_at, value_at, id_at, tlp_at = at["type"], at["value"], at["id"], at["tlp"]
    tags_at, from_at, until_at, source_at = (
        at["tags"],
        at["valid_from"],
        at["valid_until"],
        at["source"],
    )
    used = sorted(index.items(), key=lambda item: item[1])
    # Type names, TLPs, tag cells and dates repeat on most rows of a feed: read each once.
    types: dict[str, IndicatorType | None] = {}
    tlps: dict[str, Tlp | None] = {}
    tag_cells: dict[str, tuple[str, ...]] = {}
    dates: dict[str, datetime | None] = {"": None}
    ipv4, domain = IndicatorType.IPV4, IndicatorType.DOMAIN
    ipv4_match, domain_match = CANONICAL_IPV4.fullmatch, CANONICAL_DOMAIN.fullmatch
    append = result.records.append
    read = 0
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error:
            # A field beyond the csv module's own limit (128 KiB): the rest of that line is
            # consumed with it, and the next rows still read.
            read += 1
            log.add("too_long", {"limit": MAX_FIELD_CHARS}, line=start)
            start = reader.line_num + 1
            continue
        line, start = start, reader.line_num + 1
        width = len(row)
        if not width or (width == 1 and not row[0].strip()) or row[0].startswith("#"):
            continue
        read += 1
        if max(map(len, row)) > MAX_FIELD_CHARS:
            long_cells = [name for name, i in used if i < width and len(row[i]) > MAX_FIELD_CHARS]
            for name in long_cells:
                log.add("too_long", {"limit": MAX_FIELD_CHARS}, line=line, field=name)
            if long_cells:
                continue
        if width <= absent:
            row.extend([""] * (absent + 1 - width))
        elif row[absent]:
            row[absent] = ""
        bad = False
        type_cell = row[type_at]
        if type_cell in types:
            type_ = types[type_cell]
        else:
            type_ = type_from_name(type_cell)
            if len(types) < _CACHE_SIZE:
                types[type_cell] = type_
        value_cell = row[value_at]
        canonical = value_cell
        if type_ is None:
            log.add("unknown_type", {"type": cut(type_cell.strip())}, line=line, field="type")
            bad = True
        elif (type_ is ipv4 and ipv4_match(value_cell)) or (
            type_ is domain and domain_match(value_cell)
        ):
            pass  # already canonical: the common case of large feeds
        elif not value_cell.strip():
            log.add("missing_value", {"type": type_.value}, line=line, field="value")
            bad = True
        else:
            try:
                type_, canonical = normalise(type_, value_cell)
            except IndicatorProblemError as error:
                log.add(error.code, error.params, line=line, field="value")
                bad = True
        tlp_cell = row[tlp_at]
        tlp = None
        if tlp_cell:
            if tlp_cell in tlps:
                tlp = tlps[tlp_cell]
            else:
                tlp = tlp_from_text(tlp_cell) if tlp_cell.strip() else None
                if len(tlps) < _CACHE_SIZE:
                    tlps[tlp_cell] = tlp
            if tlp is None and tlp_cell.strip():
                log.add("bad_tlp", {"value": cut(tlp_cell.strip())}, line=line, field="tlp")
                bad = True
        moments = []
        for name, cell in (("valid_from", row[from_at]), ("valid_until", row[until_at])):
            if cell in dates:
                moment = dates[cell]
            else:
                moment = parse_datetime(cell)
                if len(dates) < _CACHE_SIZE:
                    dates[cell] = moment
            if moment is None and cell.strip():
                log.add("bad_date", {"value": cut(cell.strip())}, line=line, field=name)
                bad = True
            moments.append(moment)
        if bad or type_ is None:
            continue
        tags_cell = row[tags_at]
        if tags_cell in tag_cells:
            tags = tag_cells[tags_cell]
        else:
            tags = split_tags(tags_cell)
            if len(tag_cells) < _CACHE_SIZE:
                tag_cells[tags_cell] = tags
        append(
            IndicatorRecord(
                type_,
                canonical,
                row[id_at].strip() or None,
                tlp,
                tags,
                moments[0],
                moments[1],
                row[source_at].strip() or None,
                None,
                None,
                line,
                None,
            )
        )
    result.objects_read = read

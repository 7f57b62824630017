"""borg's outputs: `info --json` (archives with their stats), `list --json` (archives by name,
id and time) and `check` (its exit status: 0 no problem, 1 warning, 2 error).

borg 1.2 writes times without a zone, in the local time of the machine that ran it: they are
read as UTC, and `vigie sensor backups` runs borg with TZ=UTC so that they are."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from vigie.engines.backups import _read
from vigie.engines.backups.model import Check, ParseError, Snapshot

_ERRORS_FOUND = re.compile(r"\berrors found\b", re.IGNORECASE)
_ERROR_LINE = re.compile(r"\berror\b", re.IGNORECASE)


def _archives(text: str) -> list[Any]:
    if not text.strip():
        raise ParseError("empty")
    data = _read.load_json(text)
    if not isinstance(data, dict):
        raise ParseError("bad_shape", line=1)
    archives = data.get("archives")
    if archives is None:
        raise ParseError("missing_field", line=1, field="archives")
    if not isinstance(archives, list):
        raise ParseError("bad_type", line=_read.line_of(text, '"archives"'), field="archives")
    return archives


def _archive(
    item: Any, index: int, text: str, span: tuple[int, int] | None, *, stats: bool
) -> Snapshot:
    prefix = f"archives[{index}]."
    line = _read.key_line(text, span, "id")
    if not isinstance(item, dict):
        raise ParseError("bad_shape", line=line, field=prefix[:-1])
    archive_id = _read.text_field(item, "id", line=line, prefix=prefix)
    name = item.get("name") or item.get("archive") or ""
    if not isinstance(name, str):
        raise ParseError("bad_type", line=line, field=prefix + "name")
    when = item.get("start") if item.get("start") is not None else item.get("time")
    if when is None:
        raise ParseError("missing_field", line=line, field=prefix + "start")
    taken_at = _read.parse_time(
        when, line=_read.key_line(text, span, "start"), field=prefix + "start"
    )
    added = total = files = None
    duration = _read.seconds_field(item, "duration", line=line, prefix=prefix)
    if stats:
        values = item.get("stats")
        if not isinstance(values, dict):
            raise ParseError("missing_field", line=line, field=prefix + "stats")
        sprefix = prefix + "stats."
        line = _read.key_line(text, span, "stats")
        added = _read.count_field(values, "deduplicated_size", line=line, prefix=sprefix)
        total = _read.count_field(values, "original_size", line=line, prefix=sprefix)
        files = _read.count_field(values, "nfiles", line=line, prefix=sprefix)
        _read.count_field(values, "compressed_size", line=line, prefix=sprefix)
        end = item.get("end")
        if duration is None and end is not None:
            ended = _read.parse_time(end, line=line, field=prefix + "end")
            duration = max(0.0, (ended - taken_at).total_seconds())
    return Snapshot(
        tool_id=archive_id.lower()[:64],
        taken_at=taken_at,
        data_added=added,
        total_bytes=total,
        files_new=files,
        duration_s=duration,
        name=name[:200],
    )


def _spans(text: str) -> list[tuple[int, int]]:
    key = text.find('"archives"')
    bracket = text.find("[", key) if key >= 0 else -1
    return _read.item_spans(text, bracket) if bracket >= 0 else []


def _all(text: str, *, stats: bool) -> list[Snapshot]:
    archives = _archives(text)
    spans = _spans(text)
    return [
        _archive(item, i, text, spans[i] if i < len(spans) else None, stats=stats)
        for i, item in enumerate(archives)
    ]


def parse_info(text: str) -> list[Snapshot]:
    """`borg info --json REPO::ARCHIVE` or `borg info --json --last N REPO`."""
    return _all(text, stats=True)


def parse_list(text: str) -> list[Snapshot]:
    return _all(text, stats=False)


def parse_check(text: str, exit_code: int, at: datetime) -> Check:
    errors = sum(1 for line in text.splitlines() if _ERROR_LINE.search(line))
    # borg 1.2 exits 1 ("warning") on a repository whose check found damaged segments, and says
    # "errors found": that is a failed check, not a warning, or a damaged repository would pass.
    found = exit_code >= 2 or (exit_code == 1 and (errors > 0 or _ERRORS_FOUND.search(text)))
    errors = max(errors, 1) if found else 0
    return Check(
        at=at,
        ok=not found,
        errors=errors,
        warning=exit_code == 1 and not found,
        excerpt=_read.excerpt(text),
    )

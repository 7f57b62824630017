"""restic's outputs: `backup --json` (JSON lines; the `summary` message), `snapshots --json`
(an array; restic 0.17 and later add a `summary` object to each snapshot), and `check` (text
with its exit status; `--json` from restic 0.17 adds a `summary` message with `num_errors`)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from vigie.engines.backups import _read
from vigie.engines.backups.model import Check, ParseError, Snapshot

_ERROR_LINE = re.compile(r"^\s*(error|fatal)\b", re.IGNORECASE)
SHORT_ID = 8


def short_id(value: str) -> str:
    """restic names a snapshot by its id's first 8 hexadecimal digits (`backup` prints only
    those): the key a snapshot is stored under, whichever output it came from."""
    return value[:SHORT_ID].lower()


def parse_backup(text: str, received_at: datetime) -> list[Snapshot]:
    """The summary of `restic backup --json`; `received_at` stands for its time when restic
    does not write `backup_end` (before 0.17)."""
    rows = _read.json_lines(text)
    summaries = []
    for line, row in rows:
        if not isinstance(row, dict):
            raise ParseError("bad_shape", line=line)
        kind = row.get("message_type")
        if not isinstance(kind, str):
            raise ParseError("missing_field", line=line, field="message_type")
        if kind == "summary":
            summaries.append((line, row))
    if not rows:
        raise ParseError("empty")
    if not summaries:
        raise ParseError("no_summary", line=rows[-1][0])
    snapshots = []
    for line, row in summaries:
        snapshot_id = _read.text_field(row, "snapshot_id", line=line)
        end = row.get("backup_end")
        taken_at = (
            _read.parse_time(end, line=line, field="backup_end") if end is not None else received_at
        )
        snapshots.append(
            Snapshot(
                tool_id=short_id(snapshot_id),
                taken_at=taken_at,
                data_added=_read.count_field(row, "data_added", line=line),
                total_bytes=_read.count_field(row, "total_bytes_processed", line=line),
                files_new=_read.count_field(row, "files_new", line=line),
                files_changed=_read.count_field(row, "files_changed", line=line),
                files_unmodified=_read.count_field(row, "files_unmodified", line=line),
                duration_s=_read.seconds_field(row, "total_duration", line=line),
            )
        )
    return snapshots


def _snapshot(item: Any, index: int, text: str, span: tuple[int, int] | None) -> Snapshot:
    line = _read.key_line(text, span, "id")
    prefix = f"[{index}]."
    if not isinstance(item, dict):
        raise ParseError("bad_shape", line=line, field=f"[{index}]")
    full_id = item.get("short_id") or item.get("id")
    if not isinstance(full_id, str) or not full_id:
        raise ParseError("missing_field", line=line, field=prefix + "id")
    time_line = _read.key_line(text, span, "time")
    taken_at = _read.parse_time(
        _read.need(item, "time", line=line, prefix=prefix), line=time_line, field=prefix + "time"
    )
    paths = item.get("paths") or []
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise ParseError("bad_type", line=line, field=prefix + "paths")
    host = item.get("hostname", "")
    if not isinstance(host, str):
        raise ParseError("bad_type", line=line, field=prefix + "hostname")
    summary = item.get("summary")
    added = total = new = changed = unmodified = None
    duration = None
    if summary is not None:
        if not isinstance(summary, dict):
            raise ParseError("bad_type", line=line, field=prefix + "summary")
        sprefix = prefix + "summary."
        line = _read.key_line(text, span, "summary")
        added = _read.count_field(summary, "data_added", line=line, prefix=sprefix)
        total = _read.count_field(summary, "total_bytes_processed", line=line, prefix=sprefix)
        new = _read.count_field(summary, "files_new", line=line, prefix=sprefix)
        changed = _read.count_field(summary, "files_changed", line=line, prefix=sprefix)
        unmodified = _read.count_field(summary, "files_unmodified", line=line, prefix=sprefix)
        start, end = summary.get("backup_start"), summary.get("backup_end")
        if start is not None and end is not None:
            began = _read.parse_time(start, line=line, field=sprefix + "backup_start")
            ended = _read.parse_time(end, line=line, field=sprefix + "backup_end")
            duration = max(0.0, (ended - began).total_seconds())
    name = f"{host}:{','.join(paths)}" if host or paths else ""
    return Snapshot(
        tool_id=short_id(full_id),
        taken_at=taken_at,
        data_added=added,
        total_bytes=total,
        files_new=new,
        files_changed=changed,
        files_unmodified=unmodified,
        duration_s=duration,
        name=name[:200],
    )


def parse_snapshots(text: str) -> list[Snapshot]:
    if not text.strip():
        raise ParseError("empty")
    data = _read.load_json(text)
    if not isinstance(data, list):
        raise ParseError("bad_shape", line=1)
    spans = _read.item_spans(text, text.index("["))
    return [
        _snapshot(item, index, text, spans[index] if index < len(spans) else None)
        for index, item in enumerate(data)
    ]


def parse_check(text: str, exit_code: int, at: datetime) -> Check:
    """restic check: exit status 0 is a repository without error. A `--json` summary, when
    there is one, gives the number of errors."""
    errors: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("{") and '"message_type"' in stripped:
            rows = _read.json_lines(stripped)
            row = rows[0][1] if rows else None
            if isinstance(row, dict) and row.get("message_type") == "summary":
                errors = _read.count_field(row, "num_errors", line=number) or 0
    if errors is None:
        errors = sum(1 for line in text.splitlines() if _ERROR_LINE.match(line))
    if exit_code != 0:
        errors = max(errors, 1)
    return Check(
        at=at, ok=exit_code == 0 and errors == 0, errors=errors, excerpt=_read.excerpt(text)
    )

"""One entry point for every status file: `parse(tool, kind, text, exit_code, received_at)`,
and `detect_kind` to tell which output a file is when the person uploading it did not say."""

from __future__ import annotations

import json
from datetime import datetime

from vigie.engines.backups import borg, restic
from vigie.engines.backups.model import KINDS, Parsed, ParseError

CHECK_KINDS = ("check",)


def detect_kind(text: str, tool: str = "") -> tuple[str, str]:
    """(tool, kind) from the output's shape; raises ParseError("unknown_kind") when unsure."""
    stripped = text.lstrip()
    if not stripped:
        raise ParseError("empty")
    if stripped.startswith("["):
        return "restic", "snapshots"
    if stripped.startswith("{"):
        first = stripped.split("\n", 1)[0]
        try:
            head = json.loads(first)
        except json.JSONDecodeError:
            head = None
        if isinstance(head, dict) and "message_type" in head:
            if head.get("message_type") == "summary" and "num_errors" in head:
                return "restic", "check"
            return "restic", "backup"
        if '"archives"' in stripped:
            return "borg", "info" if '"stats"' in stripped else "list"
        raise ParseError("unknown_kind", line=1)
    lowered = stripped.lower()
    if tool in KINDS:
        return tool, "check"
    if "snapshots" in lowered or "no errors were found" in lowered or "load indexes" in lowered:
        return "restic", "check"
    if "repository" in lowered or "archive" in lowered or "segment" in lowered:
        return "borg", "check"
    raise ParseError("unknown_kind", line=1)


def parse(tool: str, kind: str, text: str, exit_code: int | None, received_at: datetime) -> Parsed:
    if tool not in KINDS or kind not in KINDS[tool]:
        raise ParseError("unknown_kind")
    if kind in CHECK_KINDS:
        if exit_code is None or not 0 <= exit_code <= 255:
            raise ParseError("bad_exit_code", field="exit_code")
        check = (restic.parse_check if tool == "restic" else borg.parse_check)(
            text, exit_code, received_at
        )
        return Parsed(tool=tool, kind=kind, checks=(check,))
    if tool == "restic":
        snapshots = (
            restic.parse_backup(text, received_at)
            if kind == "backup"
            else restic.parse_snapshots(text)
        )
    else:
        snapshots = borg.parse_info(text) if kind == "info" else borg.parse_list(text)
    return Parsed(tool=tool, kind=kind, snapshots=tuple(snapshots))

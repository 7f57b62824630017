"""The normalised facts read from the tools' outputs, and a set's policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

TOOLS = ("restic", "borg")
# What a status file is: restic `backup --json`, `snapshots --json`, `check`; borg
# `info --json`, `list --json`, `check`.
KINDS = {
    "restic": ("backup", "snapshots", "check"),
    "borg": ("info", "list", "check"),
}


class ParseError(Exception):
    """A status file that cannot be read. `code`: empty, not_json, not_utf8, bad_shape,
    missing_field, bad_type, bad_time, unknown_kind, no_summary, bad_exit_code; `params`:
    `line` (1-based, when known) and `field` (the JSON key, when one is to blame)."""

    def __init__(self, code: str, **params: str | int) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One successful backup: restic snapshot or borg archive. `taken_at` is aware (UTC)."""

    tool_id: str
    taken_at: datetime
    data_added: int | None = None  # bytes the backup added to the repository
    total_bytes: int | None = None  # bytes of the source it read
    files_new: int | None = None
    files_changed: int | None = None
    files_unmodified: int | None = None
    duration_s: float | None = None
    name: str = ""  # borg's archive name, restic's hostname:paths


@dataclass(frozen=True, slots=True)
class Check:
    """An integrity check: `ok` is false on errors; `warning` for borg's exit status 1."""

    at: datetime
    ok: bool
    errors: int = 0
    warning: bool = False
    excerpt: str = ""  # the end of the tool's output, for the people who read it


@dataclass(frozen=True, slots=True)
class Parsed:
    tool: str
    kind: str
    snapshots: tuple[Snapshot, ...] = ()
    checks: tuple[Check, ...] = ()


@dataclass(frozen=True, slots=True)
class RestoreTest:
    tested_on: date
    duration_minutes: int | None
    result: str  # success, partial, failed


@dataclass(frozen=True, slots=True)
class Policy:
    rpo_hours: float
    rto_hours: float
    copies: int
    media: int
    offsite: bool
    offline_or_immutable: bool
    restore_test_every_days: int = 180
    check_every_days: int = 31


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem (or a fact) about a set. `anchor` names the episode: the same problem seen
    again with the same anchor is the same episode (notified once); `params` are values for
    the sentence (str, int, float, date, datetime)."""

    code: str
    anchor: str
    params: dict[str, str | int | float | date | datetime | None] = field(default_factory=dict)

"""Backups (3-2-1-1-0): what restic and borg say about a repository, normalised, and what a
backup set's policy and history mean (findings, codes with parameters).

Framework-free: the platform translates the codes and stores the facts.
"""

from __future__ import annotations

from vigie.engines.backups.model import (
    KINDS,
    TOOLS,
    Check,
    Finding,
    Parsed,
    ParseError,
    Policy,
    RestoreTest,
    Snapshot,
)
from vigie.engines.backups.parse import detect_kind, parse

__all__ = [
    "KINDS",
    "TOOLS",
    "Check",
    "Finding",
    "ParseError",
    "Parsed",
    "Policy",
    "RestoreTest",
    "Snapshot",
    "detect_kind",
    "parse",
]

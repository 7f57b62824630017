"""`vigie sensor pull` (being written)."""

from __future__ import annotations

import argparse
from typing import Any


def register(actions: Any) -> None:
    """Add the subcommand to the `vigie sensor` parser."""
    del actions


def run(args: argparse.Namespace, out: Any, err: Any) -> int:
    del args, out, err
    return 2

"""Neutralise spreadsheet formulas in exported cells (CSV injection)."""

from __future__ import annotations

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    if value and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value

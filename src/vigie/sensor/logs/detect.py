"""Which log a file holds, told by its first lines (never by its name)."""

from __future__ import annotations

import orjson

from vigie.sensor.logs.base import Scanner
from vigie.sensor.logs.eve import EveScanner
from vigie.sensor.logs.text import (
    BIND_LINE,
    FIREWALL_LINE,
    SQUID_LINE,
    BindScanner,
    FirewallScanner,
    SquidScanner,
)
from vigie.sensor.logs.zeek import ZeekJsonScanner, ZeekTsvScanner, path_from_keys
from vigie.sensor.matcher import IndicatorSet

__all__ = ["SAMPLE_LINES", "detect"]

SAMPLE_LINES = 200  # lines looked at before giving up


def _json_scanner(line: bytes, indicators: IndicatorSet) -> Scanner | None:
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(record, dict):
        return None
    if "event_type" in record:
        return EveScanner(indicators)
    if "_path" in record or "uid" in record or "id.orig_h" in record:
        path = record.get("_path")
        return ZeekJsonScanner(
            indicators, path if isinstance(path, str) else path_from_keys(set(record))
        )
    return None


def detect(lines: list[bytes], indicators: IndicatorSet) -> Scanner | None:
    """The scanner for a file starting with `lines`, or None when no line is recognised."""
    for line in lines[:SAMPLE_LINES]:
        text = line.strip()
        if not text:
            continue
        if text.startswith(b"#separator"):
            return ZeekTsvScanner(indicators)
        if text.startswith(b"#"):
            continue
        if text.startswith(b"{"):
            scanner = _json_scanner(text, indicators)
            if scanner is not None:
                return scanner
            continue
        if SQUID_LINE.match(text):
            return SquidScanner(indicators)
        if BIND_LINE.search(text):
            return BindScanner(indicators)
        if FIREWALL_LINE.search(text):
            return FirewallScanner(indicators)
    return None

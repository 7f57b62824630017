"""One entry point for any indicator file: the format is told by the content, never the name
(a `.txt` export of a STIX bundle, a `.json` that is really a list of addresses)."""

from __future__ import annotations

import json

from vigie.engines.indicators.csv_reader import find_header, read_csv_text
from vigie.engines.indicators.misp import read_misp_parsed
from vigie.engines.indicators.model import Problem, ReadResult
from vigie.engines.indicators.plain import read_plain_text
from vigie.engines.indicators.stix import read_stix_parsed
from vigie.engines.indicators.text import decode_text

__all__ = ["detect_format", "read_indicator_file"]


def detect_format(text: str) -> str:
    """ "json" (to be parsed), "csv" or "plain"."""
    start = text.lstrip()[:1]
    if start in ("{", "["):
        return "json"
    return "csv" if find_header(text) is not None else "plain"


def read_indicator_file(data: bytes, file_name: str = "") -> ReadResult:
    """Read STIX 2.1, MISP event JSON, indicator CSV or a plain list.

    `file_name` is not used to choose the format; it is accepted so callers can pass what
    they have, and a later reader may use it in problems.
    """
    text = decode_text(data)
    if text is None:
        return ReadResult("plain", problems=[Problem("not_text", {})])
    if not text.strip():
        return ReadResult("plain", problems=[Problem("empty_file", {})])
    kind = detect_format(text)
    if kind == "csv":
        return read_csv_text(text)
    if kind == "plain":
        return read_plain_text(text)
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        return ReadResult(
            "json", problems=[Problem("bad_json", {"line": error.lineno, "column": error.colno})]
        )
    if isinstance(parsed, dict) and parsed.get("type") == "bundle":
        return read_stix_parsed(parsed)
    if isinstance(parsed, dict) and (
        "Event" in parsed or "response" in parsed or ("info" in parsed and "Attribute" in parsed)
    ):
        return read_misp_parsed(parsed)
    return ReadResult("json", problems=[Problem("unknown_json_format", {})])

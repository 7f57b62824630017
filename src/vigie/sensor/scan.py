"""A batch scan: each log file read in chunks, its format detected from its first lines,
every line matched; hits handed on chunk by chunk so output starts at once."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from vigie.sensor.logs.base import Chunk, Hit, Scanner
from vigie.sensor.logs.detect import detect
from vigie.sensor.logs.reader import LogReadError, chunks, open_log
from vigie.sensor.matcher import IndicatorSet

__all__ = ["FileScan", "scan_file"]


@dataclass
class FileScan:
    path: str
    format: str = ""
    lines: Counter[str] = field(default_factory=Counter)  # lines read per log type
    not_understood: int = 0
    hits: int = 0
    seconds: float = 0.0
    error: LogReadError | None = None


def scan_file(
    path: str, indicators: IndicatorSet, on_hits: Callable[[list[Hit]], None]
) -> FileScan:
    result = FileScan(path)
    started = time.perf_counter()
    scanner: Scanner | None = None
    try:
        with open_log(Path(path)) as stream:
            for first, lines in chunks(stream):
                if scanner is None:
                    scanner = detect(lines, indicators)
                    if scanner is None:
                        raise LogReadError("unknown_format")
                    result.format = scanner.format
                out = Chunk()
                scanner.scan(lines, first, out)
                result.lines.update(out.lines)
                result.not_understood += out.not_understood
                if out.hits:
                    result.hits += len(out.hits)
                    on_hits(out.hits)
    except LogReadError as error:
        result.error = error
    if scanner is None and result.error is None:
        result.error = LogReadError("empty_file")
    result.seconds = time.perf_counter() - started
    return result

"""Loading indicator files into an `IndicatorSet`: STIX 2.1 bundles, MISP events, CSV and
plain lists (read by `vigie.engines.indicators`, as the platform reads them), expired ones
left out, and values on a MISP warning list of false positives suppressed before matching,
each with the list that suppressed it.
"""

from __future__ import annotations

import gzip
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from vigie.engines.indicators import Problem, WarningIndex, read_indicator_file
from vigie.sensor.matcher import IndicatorSet

__all__ = ["FileLoad", "LoadReport", "load_indicator_files"]


@dataclass
class FileLoad:
    path: str
    format: str = ""
    loaded: int = 0
    problems: list[Problem] = field(default_factory=list)
    error: str | None = None  # unreadable file: the OS reason


@dataclass
class LoadReport:
    files: list[FileLoad] = field(default_factory=list)
    expired: int = 0
    duplicates: int = 0
    not_matched: int = 0  # STIX patterns kept but not matchable by value (AND, other operators)
    suppressed: Counter[str] = field(default_factory=Counter)  # warning list name -> count
    suppressed_examples: dict[str, str] = field(default_factory=dict)  # list -> first value


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def load_indicator_files(
    paths: list[Path],
    warnings: WarningIndex | None = None,
    indicators: IndicatorSet | None = None,
    now: datetime | None = None,
) -> tuple[IndicatorSet, LoadReport]:
    indicators = indicators if indicators is not None else IndicatorSet()
    report = LoadReport()
    moment = now or datetime.now(UTC)
    for path in paths:
        loaded = FileLoad(str(path))
        report.files.append(loaded)
        try:
            data = _read(path)
        except (OSError, EOFError, gzip.BadGzipFile) as error:
            loaded.error = getattr(error, "strerror", None) or str(error)
            continue
        result = read_indicator_file(data, path.name)
        loaded.format = result.format
        loaded.problems = result.problems
        report.not_matched += len(result.kept_patterns)
        for record in result.records:
            if record.valid_until is not None and record.valid_until <= moment:
                report.expired += 1
                continue
            if warnings is not None:
                hits = [
                    h
                    for h in warnings.check(record.type, record.value)
                    if h.category == "false-positive"
                ]
                if hits:
                    report.suppressed[hits[0].list_name] += 1
                    report.suppressed_examples.setdefault(hits[0].list_name, record.value)
                    continue
            if indicators.add(record.type, record.value, record.external_id):
                loaded.loaded += 1
            else:
                report.duplicates += 1
    return indicators, report

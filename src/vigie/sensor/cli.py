"""`vigie sensor`: the establishment's local sensor, without Django.

    vigie sensor scan --indicators PATH [--indicators PATH ...] [--format jsonl|table]
                      [--dry-run] LOG [LOG ...]
    vigie sensor pull | watch | send | status   (each in its own module: see SUBCOMMANDS)

JSONL on stdout (docs INTERFACES, "vigie sensor scan"), the summary on stderr. Exit status 0
when every file was read (with or without sightings), 1 when a log or indicator file could
not be read, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TextIO

import orjson

from vigie.sensor.config import (
    ConfigError,
    add_platform_options,
    config_error_text,
    config_from_args,
)
from vigie.sensor.i18n import gettext as _
from vigie.sensor.logs.base import Hit
from vigie.sensor.matcher import IndicatorSet
from vigie.sensor.scan import FileScan, scan_file
from vigie.sensor.sources import add_indicator_options, add_warning_list_options, load_for_matching

__all__ = ["main"]

OnHits = Callable[[list[Hit]], None]
# Modules with `register(actions)`: each adds its subparser with `run(args, out, err) -> int`.
SUBCOMMANDS = (
    "vigie.sensor.pull_command",
    "vigie.sensor.watch_command",
    "vigie.sensor.send_command",
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vigie sensor",
        description=_("The establishment's sensor: match local logs against indicators."),
    )
    actions = parser.add_subparsers(dest="action", required=True)
    scan = actions.add_parser("scan", help=_("Scan log files for indicators (batch)."))
    add_indicator_options(scan, required=False)
    scan.add_argument("--format", choices=("jsonl", "table"), default="jsonl")
    scan.add_argument(
        "--dry-run",
        action="store_true",
        help=_("show the sightings that would be sent, send nothing"),
    )
    add_warning_list_options(scan)
    add_platform_options(scan)
    scan.add_argument("logs", nargs="+", metavar="LOG")
    scan.set_defaults(run=_scan)
    for name in SUBCOMMANDS:
        importlib.import_module(name).register(actions)
    return parser


def _problem_text(code: str, params: dict[str, str | int]) -> str:
    texts = {
        "truncated_gzip": _("compressed file cut short; lines before it were scanned"),
        "bad_gzip": _("corrupt compressed data"),
        "binary_file": _("binary file, not a log"),
        "unknown_format": _("no line in a log format the sensor reads"),
        "empty_file": _("empty file"),
        "unreadable": _("cannot be read"),
    }
    text = texts.get(code, code)
    extra = ", ".join(f"{key}={value}" for key, value in sorted(params.items()))
    return f"{text} ({extra})" if extra else text


def _jsonl(out: TextIO, path: str, indicators: IndicatorSet) -> OnHits:
    values, types, ids = indicators.values, indicators.types, indicators.ids
    write = out.write

    def on_hits(hits: list[Hit]) -> None:
        write(
            "".join(
                orjson.dumps(
                    {
                        "file": path,
                        "line": hit.line,
                        "indicator": values[hit.entry],
                        "indicator_id": ids[hit.entry],
                        "type": types[hit.entry],
                        "observed": hit.observed,
                        "field": hit.field,
                        "log_type": hit.log_type,
                    }
                ).decode()
                + "\n"
                for hit in hits
            )
        )

    return on_hits


def _table(out: TextIO, path: str, indicators: IndicatorSet) -> OnHits:
    def on_hits(hits: list[Hit]) -> None:
        for hit in hits:
            out.write(
                f"{path}:{hit.line}\t{indicators.types[hit.entry]}\t"
                f"{indicators.values[hit.entry]}\t{hit.field}={hit.observed}\n"
            )

    return on_hits


class _Totals:
    """Sightings as they would leave the establishment: per indicator and log type, a count
    and first and last seen; never a log line."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[int, str], list[float]] = {}

    def add(self, hits: list[Hit]) -> None:
        now = time.time()
        for hit in hits:
            seen = hit.seen if hit.seen is not None else now
            item = self.by_key.get((hit.entry, hit.log_type))
            if item is None:
                self.by_key[(hit.entry, hit.log_type)] = [1.0, seen, seen]
            else:
                item[0] += 1
                item[1] = min(item[1], seen)
                item[2] = max(item[2], seen)


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat()


def _scan(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    started = time.perf_counter()
    try:
        config = config_from_args(args)
    except ConfigError as error:
        err.write(f"vigie sensor: {config_error_text(error)}\n")
        return 2
    indicators, ok = load_for_matching(args, config, err)
    totals = _Totals()
    scans: list[FileScan] = []
    writer = _jsonl if args.format == "jsonl" else _table
    for path in args.logs:
        emit = writer(out, path, indicators)

        def on_hits(hits: list[Hit], emit: OnHits = emit) -> None:
            emit(hits)
            totals.add(hits)

        result = scan_file(path, indicators, on_hits)
        scans.append(result)
        out.flush()
        if result.error is not None:
            ok = False
            err.write(
                f"vigie sensor: {path}: {_problem_text(result.error.code, result.error.params)}\n"
            )
    for result in scans:
        counts = ", ".join(f"{kind} {count}" for kind, count in sorted(result.lines.items()))
        err.write(
            _(
                "%(file)s (%(format)s): lines read: %(counts)s; not understood: %(bad)s; "
                "sightings: %(hits)s; %(seconds).2f s"
            )
            % {
                "file": result.path,
                "format": result.format or "?",
                "counts": counts or "0",
                "bad": result.not_understood,
                "hits": result.hits,
                "seconds": result.seconds,
            }
            + "\n"
        )
    err.write(
        _("Total: %(hits)s sightings in %(seconds).1f s")
        % {"hits": sum(r.hits for r in scans), "seconds": time.perf_counter() - started}
        + "\n"
    )
    if args.dry_run:
        err.write(_("Dry run: these sightings would be sent (nothing else leaves):") + "\n")
        for (entry, log_type), (times, first, last) in sorted(totals.by_key.items()):
            err.write(
                orjson.dumps(
                    {
                        "indicator_id": indicators.ids[entry],
                        "type": indicators.types[entry],
                        "value": indicators.values[entry],
                        "log_type": log_type,
                        "count": int(times),
                        "first_seen": _iso(first),
                        "last_seen": _iso(last),
                    }
                ).decode()
                + "\n"
            )
    return 0 if ok else 1


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    args = _parser().parse_args(argv)
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        status: int = args.run(args, out, err)
        return status
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1

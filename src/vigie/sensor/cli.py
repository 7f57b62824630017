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
from collections.abc import Sequence
from typing import TextIO

from vigie.sensor.config import (
    ConfigError,
    SensorConfig,
    add_platform_options,
    config_error_text,
    config_from_args,
)
from vigie.sensor.i18n import gettext as _
from vigie.sensor.logs.base import Hit
from vigie.sensor.output import OnHits, Totals, describe, hit_writer
from vigie.sensor.queue import Aggregate, SightingQueue
from vigie.sensor.scan import FileScan, scan_file
from vigie.sensor.sender import send_due
from vigie.sensor.sources import add_indicator_options, add_warning_list_options, load_for_matching

__all__ = ["main"]

# Modules with `register(actions)`: each adds its subparser with `run(args, out, err) -> int`.
SUBCOMMANDS = (
    "vigie.sensor.pull_command",
    "vigie.sensor.watch_command",
    "vigie.sensor.send_command",
    "vigie.sensor.backup_command",
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


def _scan(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    started = time.perf_counter()
    try:
        config = config_from_args(args)
    except ConfigError as error:
        err.write(f"vigie sensor: {config_error_text(error)}\n")
        return 2
    indicators, ok = load_for_matching(args, config, err)
    totals = Totals()
    scans: list[FileScan] = []
    for path in args.logs:
        emit = hit_writer(args.format, out, path, indicators)

        def on_hits(hits: list[Hit], emit: OnHits = emit) -> None:
            emit(hits)
            totals.add(hits, time.time())

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
    aggregates = totals.aggregates(indicators)
    if args.dry_run:
        err.write(_("Dry run: these sightings would be sent (nothing else leaves):") + "\n")
        for item in aggregates:
            err.write(describe(item) + "\n")
    elif aggregates:
        _queue_and_send(config, aggregates, err)
    return 0 if ok else 1


def _queue_and_send(config: SensorConfig, aggregates: list[Aggregate], err: TextIO) -> None:
    """Queue what was found (the aggregates only), then send it if a platform is configured;
    what cannot go now stays queued for `vigie sensor send` or `watch`."""
    if not config.can_send:
        return
    config.ensure_state_dir()
    with SightingQueue(config.queue_path) as queue:
        queue.enqueue(aggregates)
        report = send_due(queue, config)
    err.write(
        _("Sent %(sent)s sightings to the platform; %(left)s queued for later")
        % {"sent": report.sent, "left": report.retry}
        + "\n"
    )
    if report.stopped_code:
        err.write(
            "vigie sensor: "
            + _("sending paused (%(code)s): sightings stay queued") % {"code": report.stopped_code}
            + "\n"
        )


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

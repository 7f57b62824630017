"""Where the indicators a command matches come from: the files named with `--indicators`, or
else the local store that `vigie sensor pull` fills; the MISP warning lists applied to both.
Shared by `scan` and `watch`, with the summary each prints on stderr."""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from vigie.engines.indicators import WarningIndex, load_warning_lists
from vigie.sensor.config import SensorConfig
from vigie.sensor.i18n import gettext as _
from vigie.sensor.loading import LoadReport, load_indicator_files
from vigie.sensor.matcher import IndicatorSet
from vigie.sensor.problem_texts import problem_message
from vigie.sensor.pull_command import store_error_text
from vigie.sensor.store import IndicatorStore, StoreError

__all__ = [
    "DEFAULT_WARNING_LISTS",
    "PROBLEMS_SHOWN",
    "add_indicator_options",
    "add_warning_list_options",
    "load_for_matching",
    "warning_index",
]

PROBLEMS_SHOWN = 20  # per indicator file; the others are counted
DEFAULT_WARNING_LISTS = Path(__file__).resolve().parent.parent / "intel" / "warninglists"


def add_indicator_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument(
        "--indicators",
        action="append",
        required=required,
        type=Path,
        metavar="PATH",
        help=_("STIX 2.1 bundle, MISP event, CSV or plain list"),
    )


def add_warning_list_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warning-lists",
        type=Path,
        metavar="DIR",
        default=Path(os.environ.get("VIGIE_WARNING_LISTS", DEFAULT_WARNING_LISTS)),
        help=_("MISP warning lists applied before matching"),
    )
    parser.add_argument(
        "--no-warning-lists",
        action="store_true",
        help=_("match every indicator, even known false positives"),
    )


def warning_index(args: argparse.Namespace) -> WarningIndex | None:
    if args.no_warning_lists or not args.warning_lists.is_dir():
        return None
    return load_warning_lists(args.warning_lists)


def _report_files(report: LoadReport, err: TextIO) -> bool:
    ok = True
    for loaded in report.files:
        if loaded.error is not None:
            ok = False
            err.write(f"vigie sensor: {loaded.path}: {_('cannot be read')} ({loaded.error})\n")
            continue
        for problem in loaded.problems[:PROBLEMS_SHOWN]:
            where = f":{problem.line}" if problem.line else ""
            field = f" [{problem.field}]" if problem.field else ""
            message = problem_message(problem.code, problem.params, _)
            err.write(f"vigie sensor: {loaded.path}{where}{field}: {message}\n")
        if len(loaded.problems) > PROBLEMS_SHOWN:
            err.write(
                f"vigie sensor: {loaded.path}: … (+{len(loaded.problems) - PROBLEMS_SHOWN})\n"
            )
    return ok


def _report_summary(
    indicators: IndicatorSet, report: LoadReport, seconds: float, err: TextIO
) -> None:
    err.write(
        _("Indicators: %(count)s loaded in %(seconds).1f s")
        % {"count": len(indicators), "seconds": seconds}
        + "\n"
    )
    for name, count in report.suppressed.most_common():
        err.write(
            "  "
            + _('%(count)s suppressed by warning list "%(list)s" (e.g. %(value)s)')
            % {"count": count, "list": name, "value": report.suppressed_examples[name]}
            + "\n"
        )
    if report.expired:
        err.write("  " + _("%(count)s expired, not matched") % {"count": report.expired} + "\n")
    if report.not_matched:
        err.write(
            "  "
            + _("%(count)s STIX patterns kept but not matched (AND or other operators)")
            % {"count": report.not_matched}
            + "\n"
        )


def load_for_matching(
    args: argparse.Namespace, config: SensorConfig, err: TextIO
) -> tuple[IndicatorSet, bool]:
    """The indicator set to match, and whether every source could be read. The summary
    (and each bad line of an indicator file) goes to `err`."""
    started = time.perf_counter()
    warnings = warning_index(args)
    if args.indicators:
        indicators, report = load_indicator_files(args.indicators, warnings)
        ok = _report_files(report, err)
    else:
        indicators, report, ok = _load_store(config, warnings, err)
    _report_summary(indicators, report, time.perf_counter() - started, err)
    return indicators, ok


def _load_store(
    config: SensorConfig, warnings: WarningIndex | None, err: TextIO
) -> tuple[IndicatorSet, LoadReport, bool]:
    """The indicators `vigie sensor pull` stored, still valid now, less the warning lists'
    false positives (counted in the report, as for files)."""
    indicators = IndicatorSet()
    report = LoadReport()
    try:
        with IndicatorStore.open(config.indicators_path, create=False) as store:
            counts = store.load_into(indicators, warnings, datetime.now(UTC))
    except FileNotFoundError:
        counts = None
    except StoreError as error:
        err.write(f"vigie sensor: {store_error_text(error)}\n")
        return indicators, report, False
    if counts is None or counts.stored == 0:
        err.write(
            f"vigie sensor: {_('no indicators: give --indicators PATH or run vigie sensor pull')}\n"
        )
        return indicators, report, False
    report.expired = counts.expired
    report.duplicates = counts.duplicates
    report.suppressed.update(counts.suppressed)
    report.suppressed_examples.update(counts.suppressed_examples)
    return indicators, report, True

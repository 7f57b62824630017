"""`vigie vulns ...`: offline matching, feed imports and refreshes.

* `vigie vulns match --inventory PATH --feed PATH [--feed PATH ...] [--format json|table]
  [--strict] [--lang en|fr]` matches files against files, without the database (docs:
  INTERFACES.md); `--lang` is the language of the reasons.
* `vigie vulns import PATH|URL [...]` loads feeds into the platform and raises alerts.
* `vigie vulns refresh` fetches the configured feed URLs (what the periodic job runs).
* `vigie vulns rematch` evaluates every stored vulnerability against every inventory.

Each reports the runs it found interrupted (their process died) and finishes the matching they,
or anybody else gone, left owed, before it reports its own work.
"""

from __future__ import annotations

import shutil
import sys
import textwrap
from typing import Any, NoReturn

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from tqdm import tqdm

from vigie.engines.offline import NO_FEED_READ, OfflineInputError, OfflineReport, run_offline_match
from vigie.engines.records import InputError
from vigie.vulns.reasons import stored_reason

# `vulns match --lang`: English is the engine's own; the others are the platform's catalogues.
LANGUAGES = ("en", "fr")

# `vulns match` exit statuses (0: matching ran, whatever it found). Usage errors exit 2 too,
# through argparse.
EXIT_UNUSABLE = 2  # nothing was printed on stdout: fix the input
EXIT_STRICT = 3  # --strict: stdout holds the matches, but some feed files could not be read


class Command(BaseCommand):
    help = "Vulnerability feeds and matching."
    # `match` needs no database; the others check it themselves when they touch it.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        match = sub.add_parser(
            "match",
            help="Match an inventory file against feed files, offline.",
            description=(
                "Match an inventory file against feed files, offline (no database). Exit "
                f"status: 0 when matching ran (no match included); {EXIT_UNUSABLE} on a usage "
                "error or unusable input, including when no feed file could be read; "
                f"{EXIT_STRICT} with --strict when some feed files could not be read."
            ),
        )
        match.add_argument(
            "--inventory",
            required=True,
            metavar="PATH",
            help="CSV, CycloneDX or SPDX inventory file (required)",
        )
        match.add_argument(
            "--feed",
            required=True,
            action="append",
            dest="feeds",
            metavar="PATH",
            help=(
                "NVD, CVE 5, CSAF, KEV, EPSS or VEX file, or a directory (read recursively); "
                "repeatable, at least one required"
            ),
        )
        match.add_argument(
            "--format",
            choices=("json", "table"),
            default="json",
            help="json: an array of matches on stdout; table: one line per match for people "
            "(default: %(default)s)",
        )
        match.add_argument(
            "--lang",
            choices=LANGUAGES,
            default="en",
            help=(
                "language of the reasons in the table and in the JSON `reason` keys "
                "(`reason_parts` gives them as codes whatever the language; "
                "default: %(default)s)"
            ),
        )
        match.add_argument(
            "--strict",
            action="store_true",
            help=(
                f"exit with status {EXIT_STRICT} when any feed file could not be read, after "
                "printing the matches from the others (default: off: unreadable files are "
                "reported on stderr and the exit status stays 0)"
            ),
        )
        imp = sub.add_parser("import", help="Load feed files or URLs into the platform.")
        imp.add_argument("sources", nargs="+", help="files, directories or http(s) URLs")
        imp.add_argument(
            "--no-match",
            action="store_true",
            help=(
                "Store only; the workers' resume-matching job matches once the import ends "
                "(default: off: match during the import)."
            ),
        )
        sub.add_parser("refresh", help="Fetch the configured feeds now.")
        sub.add_parser("rematch", help="Match every inventory against every stored vulnerability.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "match":
            self._match(options)
        elif action == "import":
            from vigie.vulns.feed_import import import_sources

            summary = import_sources(
                options["sources"],
                triggered_by="cli",
                match=not options["no_match"],
                progress=self._progress(),
                log=self.stderr.write,
            )
            self.stdout.write(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())
            if summary.get("fatal"):
                raise CommandError(summary["fatal"][0])
        elif action == "refresh":
            from vigie.vulns.refresh import refresh_configured_feeds

            summary = refresh_configured_feeds(triggered_by="cli", log=self.stderr.write)
            self.stdout.write(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())
        elif action == "rematch":
            from vigie.vulns.feed_import import report_interrupted
            from vigie.vulns.pending import resume_pending

            resumed = resume_pending(triggered_by="cli", progress=self._progress(), everything=True)
            report_interrupted(resumed.interrupted, self.stderr.write)
            counts = {
                **vars(resumed.counts),
                "interrupted_runs": [i.describe() for i in resumed.interrupted],
            }
            self.stdout.write(orjson.dumps(counts).decode())

    def _progress(self) -> Any:
        """A progress callback drawing bars on stderr when it is a terminal."""
        if not sys.stderr.isatty():
            return None
        bars: dict[str, tqdm[Any]] = {}

        def update(stage: str, done: int, total: int) -> None:
            bar = bars.get(stage)
            if bar is None:
                bar = bars[stage] = tqdm(
                    total=total, desc=stage, unit="", file=sys.stderr, leave=True
                )
            bar.total = total
            bar.n = done
            bar.refresh()
            if done >= total:
                bar.close()

        return update

    def _match(self, options: dict[str, Any]) -> None:
        try:
            report = run_offline_match(
                options["inventory"], options["feeds"], progress=self._progress()
            )
        except OfflineInputError as error:
            self._fail(error)
        for first, count in report.unreadable:
            self.stderr.write(f"vigie vulns match: unreadable feed file: {_problem(first, count)}")
        for warning in report.warnings[:10]:
            self.stderr.write(f"warning: {warning}")
        if len(report.warnings) > 10:
            self.stderr.write(f"warning: … and {len(report.warnings) - 10} more warnings")
        stats = report.stats
        summary = (
            f"{stats['assets']} assets, {stats['vulnerabilities']} vulnerabilities, "
            f"{stats['matches']} matches ({stats['suppressed_by_vex']} closed by VEX)"
        )
        if report.unreadable:
            summary += (
                f"; {stats['feed_files_unreadable']} of {_files(stats['feed_files'])} "
                "unreadable (listed above), their content not matched"
            )
        self.stderr.write(summary)
        if options["lang"] != "en":
            _translate_reasons(report.rows, options["lang"])
        if options["format"] == "json":
            sys.stdout.buffer.write(orjson.dumps(report.rows, option=orjson.OPT_INDENT_2) + b"\n")
            sys.stdout.flush()
        else:
            self._table(report)
        if options["strict"] and report.unreadable:
            self.stderr.write(
                f"vigie vulns match: --strict: {_files(len(report.unreadable))} could not be read"
            )
            raise SystemExit(EXIT_STRICT)

    def _fail(self, error: OfflineInputError) -> NoReturn:
        if error.code == NO_FEED_READ:
            # One line per file, all of them: the user has to know which files to fix.
            for problem in error.errors:
                self.stderr.write(f"vigie vulns match: unreadable feed file: {problem}")
            params = error.params
            if not params.get("files"):
                self.stderr.write("vigie vulns match: no feed file found in the --feed paths")
            else:
                self.stderr.write(
                    f"vigie vulns match: no feed could be read: of {_files(params['files'])}, "
                    f"{params['unreadable']} unreadable, {params['skipped']} not feed content"
                )
            raise SystemExit(EXIT_UNUSABLE)
        for problem in error.errors[:20]:
            self.stderr.write(f"vigie vulns match: {problem}")
        if len(error.errors) > 20:
            self.stderr.write(f"vigie vulns match: … and {len(error.errors) - 20} more problems")
        raise SystemExit(EXIT_UNUSABLE)

    def _table(self, report: OfflineReport) -> None:
        """One line per match, ids and names in full; on a terminal, long text wraps."""
        rows = report.rows
        heads = ("PRIORITY", "ASSET", "VULNERABILITY", "CONF.", "ASSET NAME", "REASON")
        cells = [
            (
                str(r["priority"]),
                str(r["asset"]),
                str(r["vulnerability"]),
                str(r["confidence"]),
                str(r["asset_name"] or "-"),
                str(r["reason"]),
            )
            for r in rows
        ]
        widths = [max([len(head), *(len(row[i]) for row in cells)]) for i, head in enumerate(heads)]
        widths[-1] = 0  # the last column is never padded
        # Piped output keeps one line per match (for grep); a terminal gets the name and the
        # reason wrapped in their columns, never the ids cut.
        wrap = sys.stdout.isatty()
        if wrap:
            columns = shutil.get_terminal_size((120, 20)).columns
            widths[4] = min(widths[4], 30)
            used = sum(widths[:5]) + 2 * 5
            reason_width = max(columns - used, 30)
        self.stdout.write(_line(heads, widths))
        for row in cells:
            if not wrap:
                self.stdout.write(_line(row, widths))
                continue
            name = textwrap.wrap(row[4], widths[4]) or [""]
            reason = textwrap.wrap(row[5], reason_width) or [""]
            for number in range(max(len(name), len(reason))):
                first = number == 0
                self.stdout.write(
                    _line(
                        (
                            *(row[:4] if first else ("",) * 4),
                            name[number] if number < len(name) else "",
                            reason[number] if number < len(reason) else "",
                        ),
                        widths,
                    )
                )


def _translate_reasons(rows: list[dict[str, Any]], lang: str) -> None:
    """Rewrite each row's `reason` (and its corroboration's) in `lang`, from their parts."""
    with translation.override(lang):
        for row in rows:
            for entry in (row, *row["corroboration"]):
                entry["reason"] = stored_reason(entry["reason_parts"], str(entry["reason"]))


def _line(cells: tuple[str, ...], widths: list[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()


def _problem(first: InputError, count: int) -> str:
    if count > 1:
        return f"{first} (and {count - 1} more problems in this file)"
    return str(first)


def _files(count: int) -> str:
    return f"{count} feed file" if count == 1 else f"{count} feed files"

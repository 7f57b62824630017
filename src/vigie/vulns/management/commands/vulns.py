"""`vigie vulns ...`: offline matching, feed imports and refreshes.

* `vigie vulns match --inventory PATH --feed PATH [--feed PATH ...] [--format json|table]`
  matches files against files, without the database (docs: INTERFACES.md).
* `vigie vulns import PATH|URL [...]` loads feeds into the platform and raises alerts.
* `vigie vulns refresh` fetches the configured feed URLs (what the periodic job runs).
* `vigie vulns rematch` evaluates every stored vulnerability against every inventory.

Each reports the runs it found interrupted (their process died) and finishes the matching they,
or anybody else gone, left owed, before it reports its own work.
"""

from __future__ import annotations

import shutil
import sys
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from vigie.engines.offline import OfflineInputError, run_offline_match


class Command(BaseCommand):
    help = "Vulnerability feeds and matching."
    # `match` needs no database; the others check it themselves when they touch it.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        match = sub.add_parser("match", help="Match an inventory file against feed files, offline.")
        match.add_argument("--inventory", required=True, help="CSV, CycloneDX or SPDX inventory")
        match.add_argument(
            "--feed",
            required=True,
            action="append",
            dest="feeds",
            help="NVD, CVE 5, CSAF, KEV, EPSS or VEX file, or a directory (recursive); repeatable",
        )
        match.add_argument("--format", choices=("json", "table"), default="json")
        imp = sub.add_parser("import", help="Load feed files or URLs into the platform.")
        imp.add_argument("sources", nargs="+", help="files, directories or http(s) URLs")
        imp.add_argument(
            "--no-match",
            action="store_true",
            help="Store only; the workers' resume-matching job matches once the import ends.",
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
            for problem in error.errors[:20]:
                self.stderr.write(f"vigie vulns match: {problem}")
            if len(error.errors) > 20:
                self.stderr.write(
                    f"vigie vulns match: … and {len(error.errors) - 20} more problems"
                )
            raise SystemExit(2) from None
        for warning in report.warnings[:10]:
            self.stderr.write(f"warning: {warning}")
        if len(report.warnings) > 10:
            self.stderr.write(f"warning: … and {len(report.warnings) - 10} more warnings")
        stats = report.stats
        self.stderr.write(
            f"{stats['assets']} assets, {stats['vulnerabilities']} vulnerabilities, "
            f"{stats['matches']} matches ({stats['suppressed_by_vex']} closed by VEX)"
        )
        if options["format"] == "json":
            sys.stdout.buffer.write(orjson.dumps(report.rows, option=orjson.OPT_INDENT_2) + b"\n")
            sys.stdout.flush()
            return
        width = shutil.get_terminal_size((120, 20)).columns
        header = f"{'PRIORITY':8}  {'ASSET':20}  {'VULNERABILITY':16}  {'CONF.':6}  REASON"
        self.stdout.write(header)
        for row in report.rows:
            line = (
                f"{row['priority']:8}  {row['asset'][:20]:20}  {row['vulnerability'][:16]:16}  "
                f"{row['confidence']:6}  {row['reason']}"
            )
            self.stdout.write(line[: max(width, 60)])

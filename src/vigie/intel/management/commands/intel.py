"""`vigie intel import`: load indicator files (STIX 2.1, MISP, CSV, plain lists) into an
organisation's collection, as one of its members (the audit log names them).

    vigie intel import --org SLUG --user USERNAME [--tlp amber] [--source NAME] [--lang en|fr]
        FILE [FILE ...]

Each file is one transaction: a file is stored whole or not at all. Exit status 0 when every file
was read (problems in some lines included, they are listed), 2 when a file could not be used.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404
from django.utils import translation
from tqdm import tqdm

from vigie.intel.imports import import_indicators
from vigie.intel.models import Tlp
from vigie.intel.problems import problem_text
from vigie.tenancy.access import org_access
from vigie.tenancy.roles import Cap

# Problems printed per file; the rest are counted (all are kept on the import, see its page).
PROBLEMS_PRINTED = 20


class Command(BaseCommand):
    help = "Threat intelligence: import indicator files."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        load = sub.add_parser(
            "import",
            help="Import indicator files into an organisation's collection.",
            description=(
                "Import STIX 2.1 bundles, MISP event JSON, CSV (type,value,...) or plain lists "
                "of indicators; the format is read from each file's content. Exit status 0 when "
                "every file was read (its problems are listed), 2 when one could not be used."
            ),
        )
        load.add_argument("files", nargs="+", metavar="FILE", help="indicator files")
        load.add_argument("--org", required=True, help="the organisation's short name (slug)")
        load.add_argument(
            "--user",
            required=True,
            help="the member importing (needs the right to publish; named in the audit log)",
        )
        load.add_argument(
            "--tlp",
            choices=Tlp.values,
            default=Tlp.AMBER,
            help="marking of the indicators whose file gives none (default: %(default)s)",
        )
        load.add_argument(
            "--source", default="", help="the source's name (default: the file's name)"
        )
        load.add_argument(
            "--lang",
            choices=("en", "fr"),
            default="en",
            help="language of the problems listed (default: %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["lang"]):
            self._import(options)

    def _import(self, options: dict[str, Any]) -> None:
        user = get_user_model().objects.filter(username=options["user"]).first()
        try:
            access = org_access(user, options["org"], Cap.PUBLISH)
        except Http404 as error:
            raise CommandError(
                f"{options['user']} is not a member of an organisation called {options['org']}"
            ) from error
        except PermissionDenied as error:
            raise CommandError(
                f"{options['user']} may not publish intelligence for {options['org']}"
            ) from error
        unusable = 0
        for name in options["files"]:
            path = Path(name)
            try:
                data = path.read_bytes()
            except OSError as error:
                self.stderr.write(f"{name}: cannot be read ({error.strerror})")
                unusable += 1
                continue
            bar = tqdm(desc=path.name, unit=" indicators", disable=not sys.stderr.isatty())
            seen = 0

            def progress(done: int, bar: Any = bar) -> None:
                nonlocal seen
                bar.update(done - seen)
                seen = done

            try:
                job = import_indicators(
                    access=access,
                    data=data,
                    file_name=path.name,
                    source=options["source"],
                    default_tlp=options["tlp"],
                    progress=progress,
                )
            except ValidationError as error:
                bar.close()
                self.stderr.write(f"{name}: {'; '.join(error.messages)}")
                unusable += 1
                continue
            bar.close()
            counts = job.counts
            self.stdout.write(
                f"{name}: {job.file_format}, {counts['indicators']} indicators "
                f"({counts['created']} new, {counts['updated']} updated, "
                f"{counts['unchanged']} unchanged), {counts['flagged']} on a warning list, "
                f"{counts['problems']} problems, {counts['kept_patterns']} patterns kept "
                "unmatched"
            )
            for problem in job.problems[:PROBLEMS_PRINTED]:
                self.stdout.write(f"  {name}: {problem_text(problem)}")
            if counts["problems"] > PROBLEMS_PRINTED:
                self.stdout.write(f"  … and {counts['problems'] - PROBLEMS_PRINTED} more")
            if not counts["records"] and counts["problems"]:
                unusable += 1
        if unusable:
            sys.exit(2)

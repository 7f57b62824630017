"""`vigie demo [--no-serve]`: load the demo data (idempotent), then serve with a worker."""

from __future__ import annotations

import importlib
import importlib.util
import signal
import subprocess
import sys
from typing import Any

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from vigie.core.demo import DemoReport, loaders


class Command(BaseCommand):
    help = "Load the demo centre, establishments, users and data; then serve them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="Load the data and exit.")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        # Each app contributes its demo loader in a module named demo.py (or core/demo/*).
        importlib.import_module("vigie.core.demo.organisations")
        for config in apps.get_app_configs():
            if config.name.startswith("vigie.") and importlib.util.find_spec(f"{config.name}.demo"):
                importlib.import_module(f"{config.name}.demo")
        report = DemoReport()
        for name, loader in loaders():
            with transaction.atomic():
                loader(report)
            self.stderr.write(f"demo: {name} ready")
        self._print_report(report)
        if not options["no_serve"]:
            self._serve(options["host"], options["port"])

    def _print_report(self, report: DemoReport) -> None:
        if report.created_users:
            self.stdout.write("\nDemo users (passwords are shown only this once):\n")
            width = max(len(username) for username, _, _ in report.created_users)
            for username, password, role in report.created_users:
                self.stdout.write(f"  {username.ljust(width)}  {password}  ({role})")
            self.stdout.write(
                "\nSupport-centre users set up two-factor authentication at first login.\n"
            )
        else:
            self.stdout.write(
                "Demo data already loaded; passwords were printed when the users were created "
                "(reset one with `vigie changepassword USERNAME`)."
            )
        for note in report.notes:
            self.stdout.write(note)

    def _serve(self, host: str, port: int) -> None:
        worker = subprocess.Popen([sys.executable, "-m", "vigie.cli", "worker"])
        try:
            call_command("serve", host=host, port=port)
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()

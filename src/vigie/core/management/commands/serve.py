"""`vigie serve [--host H] [--port P]`: the web UI, API and static files under gunicorn."""

from __future__ import annotations

import os
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # Built here, after collectstatic: WhiteNoise indexes the static root when the
        # application is created, and on a first run that folder did not exist before.
        from django.core.wsgi import get_wsgi_application

        return get_wsgi_application()


def pending_migrations() -> int:
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


class Command(BaseCommand):
    help = "Serve the platform (web UI, API, static files) with gunicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("VIGIE_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("VIGIE_PORT", "8000")))
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("VIGIE_WEB_WORKERS", "2")),
            help="Worker processes (default 2, or VIGIE_WEB_WORKERS).",
        )
        parser.add_argument(
            "--threads", type=int, default=int(os.environ.get("VIGIE_WEB_THREADS", "4"))
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 < options["port"] < 65536:
            raise CommandError(f"--port {options['port']}: expected 1-65535")
        pending = pending_migrations()
        if pending:
            raise CommandError(
                f"the database has {pending} unapplied migration(s): run `vigie migrate` first"
            )
        call_command("collectstatic", interactive=False, verbosity=0)
        bind = options["host"]
        if ":" in bind and not bind.startswith("["):
            bind = f"[{bind}]"
        self.stdout.write(
            f"Vigie Santé listening on http://{bind}:{options['port']}/ "
            f"({options['workers']} workers × {options['threads']} threads)"
        )
        _Gunicorn(
            {
                "bind": f"{bind}:{options['port']}",
                "workers": options["workers"],
                "threads": options["threads"],
                "worker_class": "gthread",
                "timeout": 120,
                "graceful_timeout": 20,
                "accesslog": "-",
                "errorlog": "-",
                "limit_request_line": 8190,
                "forwarded_allow_ips": os.environ.get("VIGIE_FORWARDED_ALLOW_IPS", "127.0.0.1"),
                "proc_name": "vigie",
                "max_requests": 5000,
                "max_requests_jitter": 500,
                "control_socket_disable": True,
            }
        ).run()

"""`vigie worker`: run background tasks and the periodic-job scheduler.

With the database backend (default) it runs django-tasks-db's worker loop; with the Redis backend
(VIGIE_TASKS_BACKEND=redis) an RQ worker. In both cases a side thread beats the heartbeat and
enqueues due periodic jobs, so any number of workers on any number of machines cooperate.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from vigie.core import heartbeat, scheduling

logger = logging.getLogger("vigie.worker")


class Command(BaseCommand):
    help = "Run background tasks and periodic jobs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Schedule due jobs, run every ready task, then exit (for cron or tests).",
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between polls when idle."
        )
        parser.add_argument(
            "--queue", action="append", dest="queues", help="Queue(s) to serve (default: all)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker_id = heartbeat.new_worker_id()
        backend = settings.VIGIE_TASKS_BACKEND
        started = timezone.now()
        stop = threading.Event()

        def tick() -> None:
            close_old_connections()
            heartbeat.beat(worker_id, backend, started)
            scheduling.schedule_due_jobs(worker_id)

        def loop() -> None:
            while not stop.wait(settings.VIGIE_WORKER_HEARTBEAT_SECONDS):
                try:
                    tick()
                except DatabaseError as error:
                    # The database may be restarting; the next tick retries.
                    logger.warning("worker %s: heartbeat failed: %s", worker_id, error)
            close_old_connections()

        tick()
        self.stdout.write(f"vigie worker {worker_id} ({backend} backend) started")
        side = threading.Thread(target=loop, name="vigie-scheduler", daemon=True)
        if not options["batch"]:
            side.start()
        try:
            if backend == "redis":
                self._run_rq(worker_id, options)
            elif backend == "database":
                self._run_database(worker_id, options)
            elif not options["batch"]:
                # The immediate backend runs tasks as they are enqueued: only the scheduler runs.
                side.join()
        finally:
            stop.set()
            if options["batch"]:
                heartbeat.beat(worker_id, backend, started)

    def _run_database(self, worker_id: str, options: dict[str, Any]) -> None:
        from django_tasks_db.management.commands.db_worker import Worker

        worker = Worker(
            queue_names=options["queues"] or ["*"],
            interval=options["interval"],
            batch=options["batch"],
            backend_name="default",
            startup_delay=not options["batch"],
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        if not options["batch"]:
            worker.configure_signals()
        worker.run()

    def _run_rq(self, worker_id: str, options: dict[str, Any]) -> None:
        import django_rq
        from django_tasks_rq import Job
        from rq import SimpleWorker

        queues = options["queues"] or list(settings.RQ_QUEUES)
        # Batch runs stay in this process (SimpleWorker) so they finish before the command returns.
        extra: dict[str, Any] = {"worker_class": SimpleWorker} if options["batch"] else {}
        worker = django_rq.get_worker(*queues, job_class=Job, name=worker_id, **extra)
        worker.work(burst=options["batch"], with_scheduler=not options["batch"])

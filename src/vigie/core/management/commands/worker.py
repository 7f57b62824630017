"""`vigie worker`: background tasks, the periodic-job scheduler, recovery of dead workers.

With the database backend (default) it runs django-tasks-db's worker loop; with the Redis backend
(VIGIE_TASKS_BACKEND=redis) an RQ worker that runs each job in this process. A side thread, every
VIGIE_WORKER_HEARTBEAT_SECONDS: writes the heartbeat, recovers dead workers (core/recovery.py),
enqueues due periodic jobs, and runs the apps' watchers (the outbox's safety net). Any number of
workers on any number of machines cooperate; none of them needs an operator after a crash.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from vigie.core import coalesce, heartbeat, recovery, scheduling

logger = logging.getLogger("vigie.worker")

# Exit status when the scheduler thread fails: the worker stops at once rather than keep running
# tasks without a heartbeat (the others would take it for dead and run its work a second time).
SCHEDULER_FAILED = 70


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
        interval = settings.VIGIE_WORKER_HEARTBEAT_SECONDS
        started = timezone.now()
        stop = threading.Event()
        judge = recovery.Judge(worker_id=worker_id, interval=interval)
        # Tasks run in this process claim work (deliveries) under this id, whose heartbeat is
        # in the database: that is how another worker knows whose rows to give back.
        heartbeat.set_current(worker_id)

        def tick() -> None:
            close_old_connections()
            beat = heartbeat.beat(worker_id, backend, started, interval=interval)
            if beat.written:
                judge.beat_written()
            recovery.recover(judge)
            scheduling.schedule_due_jobs(worker_id)
            scheduling.run_watchers()

        def loop() -> None:
            try:
                while not stop.wait(interval):
                    try:
                        tick()
                    except coalesce.ENQUEUE_ERRORS as error:
                        # The database or Redis may be restarting; the next tick retries.
                        logger.warning("worker %s: scheduler tick failed: %s", worker_id, error)
            except BaseException:
                logger.critical(
                    "worker %s: the scheduler thread failed; stopping the worker (its work "
                    "will be recovered like a killed worker's)",
                    worker_id,
                    exc_info=True,
                )
                os._exit(SCHEDULER_FAILED)
            finally:
                close_old_connections()

        tick()
        recovery.release_orphans()
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
            if side.is_alive():
                side.join(timeout=interval + 30)
            self._stop_cleanly(worker_id)

    def _stop_cleanly(self, worker_id: str) -> None:
        try:
            recovery.release_own(worker_id)
        except DatabaseError as error:
            # Then the others recover this worker as a dead one, within seconds.
            logger.warning("worker %s: could not record its stop: %s", worker_id, error)
        heartbeat.set_current(None)

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

        queues = options["queues"] or list(settings.RQ_QUEUES)
        # Jobs run in this process (SimpleWorker), not in a forked work-horse: the process whose
        # heartbeat says it lives is the one doing the work, so a dead heartbeat means dead work
        # (a killed horse under a live parent would leave rows no heartbeat could give back).
        worker = django_rq.get_worker(
            *queues, job_class=Job, name=worker_id, worker_class="rq.SimpleWorker"
        )
        # No RQ scheduler: it runs in a forked child that outlives a killed worker (holding the
        # parent's database connection), and nothing here enqueues delayed RQ jobs; periodic
        # jobs come from vigie's own scheduler thread above.
        worker.work(burst=options["batch"], with_scheduler=False)

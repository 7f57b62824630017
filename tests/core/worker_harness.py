"""Real `vigie worker` processes, a real database, a local webhook receiver and SMTP server.

Shared by tests/core/test_worker_kills.py and bench/bench_worker_kills.py. The test (or bench)
process runs the receivers in threads; workers, seeding and reporting run as subprocesses of the
`vigie` command with their own environment (never the test suite's), so what is exercised is
what production runs. Workers are killed with SIGKILL: no handler, no `finally`, no goodbye.

Run as a module inside a platform's environment it seeds or reports:

    python -m tests.core.worker_harness seed --events N --emails-per-event M --webhook URL
    python -m tests.core.worker_harness report
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email import policy as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_SECRET = "kill-test-" + "s" * 40


# --- Receivers (in the test or bench process) ------------------------------------------------


@dataclass(frozen=True, slots=True)
class Received:
    at: float  # time.time() when the request or message arrived
    kind: str  # "webhook" | "email"
    delivery: str  # X-Vigie-Delivery: the outbox row
    key: str  # what a receiver deduplicates on: Idempotency-Key, or Message-ID for e-mail
    signature_ok: bool = True


@dataclass
class Inbox:
    """What the receivers got, in order; `hold(n)` makes the next n arrivals wait for release."""

    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(init=False)
    _skips: int = 0
    _holds: int = 0
    _held: int = 0
    _release: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.arrived = threading.Condition(self.lock)

    def add(self, item: Received) -> bool:
        """Record an arrival; True when this one must be held until `release()`."""
        with self.lock:
            self.received.append(item)
            if self._skips > 0:
                self._skips -= 1
                self.arrived.notify_all()
                return False
            hold = self._holds > 0
            if hold:
                self._holds -= 1
                self._held += 1
            self.arrived.notify_all()
        return hold

    def hold(self, count: int = 1, *, after: int = 0) -> None:
        """Hold `count` arrivals, once `after` more have gone through."""
        with self.lock:
            self._release.clear()
            self._skips = after
            self._holds = count
            self._held = 0

    def release(self) -> None:
        with self.lock:
            self._holds = 0
        self._release.set()

    def wait_held(self, count: int = 1, timeout: float = 60) -> bool:
        with self.arrived:
            return self.arrived.wait_for(lambda: self._held >= count, timeout)

    def wait_release(self) -> None:
        self._release.wait(60)

    def snapshot(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def delivered_ids(self) -> set[str]:
        return {item.delivery for item in self.snapshot()}


def _verify(headers: Any, body: bytes) -> bool:
    import hashlib
    import hmac

    timestamp = headers.get("X-Vigie-Timestamp", "0")
    expected = (
        "sha256="
        + hmac.new(
            WEBHOOK_SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
    )
    return hmac.compare_digest(expected, headers.get("X-Vigie-Signature", ""))


@contextlib.contextmanager
def webhook_receiver(inbox: Inbox) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            held = inbox.add(
                Received(
                    at=time.time(),
                    kind="webhook",
                    delivery=self.headers.get("X-Vigie-Delivery", ""),
                    key=self.headers.get("Idempotency-Key", ""),
                    signature_ok=_verify(self.headers, body),
                )
            )
            if held:
                inbox.wait_release()
            elif inbox.delay:
                time.sleep(inbox.delay)
            try:
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:  # the worker was killed while we held its request
                return

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/vigie"
    finally:
        inbox.release()
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def smtp_server(inbox: Inbox) -> Iterator[tuple[str, int]]:
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            message = message_from_bytes(envelope.content, policy=email_policy.default)
            held = inbox.add(
                Received(
                    at=time.time(),
                    kind="email",
                    delivery=str(message.get("X-Vigie-Delivery", "")),
                    key=str(message.get("Message-ID", "")),
                )
            )
            if held:
                # Not blocking the event loop: other connections go on meanwhile.
                while not inbox._release.is_set():
                    await asyncio.sleep(0.02)
            elif inbox.delay:
                await asyncio.sleep(inbox.delay)
            return "250 Message accepted"

    with socket_port() as port:
        controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield "127.0.0.1", port
    finally:
        inbox.release()
        controller.stop()


@contextlib.contextmanager
def socket_port() -> Iterator[int]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    yield port


# --- The platform under test (subprocesses) ----------------------------------------------------


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path
    started_at: float
    killed_at: float | None = None
    id_seen_at: float | None = None  # when the bench first saw it up

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def up(self) -> bool:
        """It said "started": its first heartbeat is in the database."""
        return self.log.exists() and b" started" in self.log.read_bytes()[:4096]


@dataclass
class Platform:
    """One database (a fresh SQLite home, or a PostgreSQL database) and its `vigie` processes."""

    home: Path
    database_url: str | None
    settings: dict[str, str] = field(default_factory=dict)
    workers: list[Worker] = field(default_factory=list)
    # One per platform: it also encrypts the webhook secrets the seed writes.
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(64))

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",  # worker logs and "started" lines as they happen
            "VIGIE_HOME": str(self.home),
            "VIGIE_SECRET_KEY": self.secret_key,
            "VIGIE_LOG_LEVEL": "WARNING",
            "VIGIE_TASKS_BACKEND": "database",
            "VIGIE_WEBHOOK_ALLOW_HTTP": "1",
            "VIGIE_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32",
            "VIGIE_EMAIL_BACKEND": "smtp",
            "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
            **self.settings,
            **extra,
        }
        if self.database_url:
            env["VIGIE_DATABASE_URL"] = self.database_url
        return env

    def command(self, *args: str, timeout: float = 180) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "vigie.cli", *args],
            env=self.env(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"vigie {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def harness(self, *args: str, timeout: float = 300) -> Any:
        result = subprocess.run(
            [sys.executable, "-m", "tests.core.worker_harness", *args],
            env=self.env(DJANGO_SETTINGS_MODULE="vigie.settings"),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"harness {args[0]} failed:\n{result.stderr[-3000:]}")
        return json.loads(result.stdout)

    def migrate(self) -> None:
        self.command("migrate", "--verbosity", "0")

    def start_worker(self, *args: str, **extra: str) -> Worker:
        number = len(self.workers)
        log = self.home / f"worker-{number}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "vigie.cli", "worker", *args],
                env=self.env(**extra),
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                # Its own process group: whatever it forks can be found, and killed, after it.
                start_new_session=True,
            )
        worker = Worker(process=process, log=log, started_at=time.time())
        self.workers.append(worker)
        return worker

    def kill(self, worker: Worker) -> float:
        """SIGKILL, then reap it (as a supervisor would): returns when it was killed."""
        worker.killed_at = time.time()
        os.kill(worker.pid, signal.SIGKILL)
        worker.process.wait(30)
        return worker.killed_at

    def stop_all(self) -> None:
        """Stop every worker, then fail if one left a process behind (a forked child that
        outlives its worker keeps working unseen, and holds the database open)."""
        for worker in self.workers:
            if worker.process.poll() is None:
                worker.process.terminate()
        for worker in self.workers:
            try:
                worker.process.wait(20)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait(10)
        leftovers = [worker.pid for worker in self.workers if _group_alive(worker.pid)]
        for group in leftovers:
            os.killpg(group, signal.SIGKILL)
        if leftovers:
            raise AssertionError(f"workers left processes behind (process groups {leftovers})")

    def logs(self) -> str:
        return "\n".join(
            f"--- {worker.log.name} (pid {worker.pid})\n{worker.log.read_text()[-4000:]}"
            for worker in self.workers
            if worker.log.exists()
        )


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def wait_until(check: Callable[[], bool], *, timeout: float, what: str, every: float = 0.2) -> None:
    """Wait for a condition with a generous deadline (never a duration under test)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting ({timeout:.0f} s): {what}")
        time.sleep(every)


# --- Comparing what arrived with the outbox ------------------------------------------------------


@dataclass
class Comparison:
    expected: int
    received: int
    lost: list[str]
    unexpected: list[str]
    duplicates_same_key: int
    duplicates_other_key: list[str]
    bad_signatures: int
    states: dict[str, int]


def compare(report: dict[str, Any], received: list[Received]) -> Comparison:
    """The outbox's rows are what one clean run delivers: each exactly once, under its key."""
    expected = {row["public_id"] for row in report["deliveries"]}
    by_delivery: dict[str, list[Received]] = {}
    for item in received:
        by_delivery.setdefault(item.delivery, []).append(item)
    same = other = 0
    other_ids = []
    for delivery, items in by_delivery.items():
        if len(items) > 1:
            if len({item.key for item in items}) == 1:
                same += len(items) - 1
            else:
                other += 1
                other_ids.append(delivery)
    return Comparison(
        expected=len(expected),
        received=len(received),
        lost=sorted(expected - set(by_delivery)),
        unexpected=sorted(set(by_delivery) - expected),
        duplicates_same_key=same,
        duplicates_other_key=other_ids,
        bad_signatures=sum(1 for item in received if not item.signature_ok),
        states=dict(Counter(row["state"] for row in report["deliveries"])),
    )


def recovery_times(
    report: dict[str, Any], received: list[Received], kills: list[tuple[int, float]]
) -> list[float]:
    """Per delivery a killed worker held: seconds from the kill to its next arrival."""
    worker_of_pid = {row["pid"]: row["worker_id"] for row in report["heartbeats"]}
    public_id = {row["id"]: row["public_id"] for row in report["deliveries"]}
    times = []
    for pid, killed_at in kills:
        worker = worker_of_pid.get(pid)
        held = {
            public_id[attempt["delivery_id"]]
            for attempt in report["attempts"]
            if attempt["outcome"] == "interrupted" and attempt["worker"] == worker
        }
        for delivery in held:
            after = [
                item.at for item in received if item.delivery == delivery and item.at > killed_at
            ]
            if after:
                times.append(min(after) - killed_at)
    return times


# --- Inside the platform: seed and report (python -m tests.core.worker_harness ...) ------------


def _seed(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import transaction

    from vigie.notify import outbox
    from vigie.notify.models import Channel, ChannelKind
    from vigie.notify.secretbox import encrypt_secret
    from vigie.tenancy.models import Organisation
    from vigie.tenancy.roles import OrgKind

    tag = secrets.token_hex(3)
    organisation = Organisation.objects.create(
        kind=OrgKind.ESTABLISHMENT, name=f"Kill test {tag}", slug=f"kill-{tag}"
    )
    # New establishments get an e-mail channel (vulns.signals): it sends to extra addresses.
    email = Channel.objects.get(organisation=organisation, kind=ChannelKind.EMAIL)
    email.extra_addresses = [f"rssi{n}@kill.example" for n in range(args.emails_per_event)]
    email.enabled = args.emails_per_event > 0
    email.save()
    if args.webhook:
        Channel.objects.create(
            organisation=organisation,
            kind=ChannelKind.WEBHOOK,
            name="SIEM",
            url=args.webhook,
            secret_encrypted=encrypt_secret(WEBHOOK_SECRET, organisation_id=organisation.pk),
        )
    created = 0
    started = time.time()
    events = list(range(args.events))
    for first in range(0, len(events), args.per_commit):
        # One transaction per group of events, as alerting writes an establishment's alerts and
        # their deliveries together.
        with transaction.atomic():
            for event in events[first : first + args.per_commit]:
                created += len(
                    outbox.enqueue_for_channels(
                        organisation=organisation,
                        event="alert.new",
                        payload={"alert": event, "vulnerability": f"CVE-2099-{event:05d}"},
                        email_template="notify/mail/test",
                        email_context={
                            "organisation": organisation.name,
                            "channel": "kill test",
                            "requested_by": "harness",
                        },
                        idempotency_key=f"alert.new:{tag}:{event}",
                    )
                )
        if args.pause:
            time.sleep(args.pause)
    return {"deliveries": created, "seconds": time.time() - started, "organisation": tag}


def _enqueue(args: argparse.Namespace) -> dict[str, Any]:
    from django.utils.module_loading import import_string

    task = import_string(args.task)
    result = task.enqueue(*json.loads(args.args))
    return {"id": str(result.id)}


def _report(args: argparse.Namespace) -> dict[str, Any]:
    from django_tasks_db.models import DBTaskResult

    from vigie.core.models import InterruptedTask, PendingTask, WorkerHeartbeat
    from vigie.notify.models import Delivery, DeliveryAttempt

    def stamp(value: Any) -> Any:
        return value.isoformat() if hasattr(value, "isoformat") else value

    def rows(queryset: Any, *fields: str) -> list[dict[str, Any]]:
        return [{k: stamp(v) for k, v in row.items()} for row in queryset.values(*fields)]

    return {
        "deliveries": rows(
            Delivery.objects.order_by("pk"),
            "id",
            "public_id",
            "transport",
            "state",
            "attempts",
            "idempotency_key",
            "recipient",
        ),
        "attempts": rows(
            DeliveryAttempt.objects.order_by("pk"), "delivery_id", "outcome", "worker", "at"
        ),
        "heartbeats": rows(
            WorkerHeartbeat.objects.order_by("pk"),
            "worker_id",
            "pid",
            "died_at",
            "released_at",
            "declared_dead_by",
            "stopped_at",
        ),
        "tasks": rows(
            DBTaskResult.objects.order_by("enqueued_at"),
            "id",
            "task_path",
            "status",
            "worker_ids",
            "exception_class_path",
        ),
        "interrupted": rows(
            InterruptedTask.objects.order_by("pk"),
            "task_id",
            "task_path",
            "worker_id",
            "action",
            "new_task_id",
        ),
        "pending": rows(PendingTask.objects.all(), "key", "task_id"),
        "results": _statuses(
            [row.task_id for row in InterruptedTask.objects.all()]
            + [row.new_task_id for row in InterruptedTask.objects.exclude(new_task_id="")]
        ),
    }


def _statuses(task_ids: list[str]) -> dict[str, str]:
    """Status of each task by id, through the configured backend (rows or Redis jobs)."""
    from django_tasks import default_task_backend
    from django_tasks.exceptions import TaskResultDoesNotExist

    statuses = {}
    for task_id in task_ids:
        try:
            statuses[task_id] = str(default_task_backend.get_result(task_id).status)
        except TaskResultDoesNotExist:
            statuses[task_id] = "missing"
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.core.worker_harness")
    commands = parser.add_subparsers(dest="command", required=True)
    seed = commands.add_parser("seed")
    seed.add_argument("--events", type=int, required=True)
    seed.add_argument("--emails-per-event", type=int, default=1)
    seed.add_argument("--webhook", default="")
    seed.add_argument("--per-commit", type=int, default=1, help="events per transaction")
    seed.add_argument("--pause", type=float, default=0.0, help="seconds between transactions")
    enqueue = commands.add_parser("enqueue")
    enqueue.add_argument("task")
    enqueue.add_argument("args", nargs="?", default="[]")
    commands.add_parser("report")
    args = parser.parse_args()

    import django

    django.setup()
    action = {"seed": _seed, "enqueue": _enqueue, "report": _report}[args.command]
    print(json.dumps(action(args), default=str))


if __name__ == "__main__":
    main()

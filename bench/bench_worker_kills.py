"""Random SIGKILLs of `vigie worker` processes during a burst of deliveries.

A fresh platform (SQLite home, or a new PostgreSQL database on the server of --database-url,
dropped after), a local SMTP server (aiosmtpd) and a local webhook receiver that verifies
signatures; N workers; a burst of deliveries written as alerting writes them (one transaction
per event: e-mails to the channel's addresses and one signed webhook); during the burst, random
SIGKILLs of a random worker, each followed at once by a new worker (as a supervisor restarts it).

Reported: deliveries lost (in the outbox, never received), duplicates by key (the same delivery
received again under the same Idempotency-Key / Message-ID, which receivers deduplicate; or under
another key, which they could not), recovery time (kill → the next arrival of each delivery the
killed worker was sending: p50, p99, max), detection (kill → its tasks marked interrupted),
delivery tasks queued (kicks are coalesced), total time.

    .venv/bin/python bench/bench_worker_kills.py                       # SQLite, 2 workers
    .venv/bin/python bench/bench_worker_kills.py --database-url postgres://postgres@127.0.0.1:5432/vigie
    .venv/bin/python bench/bench_worker_kills.py --no-process-check    # heartbeats only

Default settings of the platform unless told otherwise (heartbeat 2 s; the pid check of workers
on the same machine on). Exits 1 when a delivery is lost or duplicated under another key.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import _common

sys.path.insert(0, str(_common.ROOT))

from tests.core.worker_harness import (
    Inbox,
    Platform,
    compare,
    recovery_times,
    smtp_server,
    wait_until,
    webhook_receiver,
)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def fresh_postgres(url: str) -> tuple[str, str]:
    """A new database on the server of `url`: (its URL, its name)."""
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'vigie'}_bench_{secrets.token_hex(3)}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}")), name


def drop_postgres(url: str, name: str) -> None:
    import psycopg

    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(args: argparse.Namespace, home: Path, database_url: str | None) -> dict[str, Any]:
    rng = random.Random(args.seed)
    platform = Platform(home=home, database_url=database_url)
    if not args.process_check:
        platform.settings["VIGIE_WORKER_PROCESS_CHECK"] = "0"
    if args.heartbeat:
        platform.settings["VIGIE_WORKER_HEARTBEAT_SECONDS"] = str(args.heartbeat)
    print(f"migrating {'PostgreSQL' if database_url else 'SQLite'} …", file=sys.stderr)
    platform.migrate()
    events = -(-args.deliveries // (1 + args.emails_per_event))
    expected_total = events * (1 + args.emails_per_event)
    inbox = Inbox(delay=args.receiver_delay_ms / 1000)
    kills: list[tuple[int, float]] = []
    with webhook_receiver(inbox) as url, smtp_server(inbox) as (host, port):
        platform.settings.update(VIGIE_EMAIL_HOST=host, VIGIE_EMAIL_PORT=str(port))
        live = [platform.start_worker() for _ in range(args.workers)]
        started = time.time()
        seed = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.core.worker_harness",
                "seed",
                "--events",
                str(events),
                "--emails-per-event",
                str(args.emails_per_event),
                "--webhook",
                url,
                "--per-commit",
                str(args.events_per_commit),
            ],
            env=platform.env(DJANGO_SETTINGS_MODULE="vigie.settings"),
            cwd=_common.ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            # Kill while the burst is being delivered: one random worker at a random moment,
            # restarted at once.
            while len(kills) < args.kills:
                time.sleep(rng.uniform(args.kill_every[0], args.kill_every[1]))
                if len(inbox.delivered_ids()) >= expected_total:
                    break
                # A worker that had time to start (Django loads in 1-2 s): killing one still
                # starting tests nothing. At random among those.
                for worker in live:
                    if worker.up and worker.id_seen_at is None:
                        worker.id_seen_at = time.time()
                ready = [
                    w
                    for w in live
                    if w.id_seen_at is not None and time.time() - w.id_seen_at >= args.startup_grace
                ]
                if not ready:
                    continue
                victim = rng.choice(ready)
                kills.append((victim.pid, platform.kill(victim)))
                live.remove(victim)
                live.append(platform.start_worker())
                print(f"kill {len(kills)}/{args.kills}", file=sys.stderr)
            seeded = json.loads(seed.communicate(timeout=600)[0])
            wait_until(
                lambda: len(inbox.delivered_ids()) >= seeded["deliveries"],
                timeout=args.deadline,
                what="every delivery received",
                every=0.5,
            )
            box: dict[str, Any] = {}

            def settled() -> bool:
                box["report"] = platform.harness("report")
                return all(row["state"] == "sent" for row in box["report"]["deliveries"])

            wait_until(settled, timeout=args.deadline, what="every row sent", every=1)
            finished = time.time()
        except AssertionError:
            print(platform.logs(), file=sys.stderr)
            raise
        finally:
            platform.stop_all()
        report = platform.harness("report")
    received = inbox.snapshot()
    if args.keep:
        (home / "report.json").write_text(json.dumps(report))
        (home / "arrivals.json").write_text(json.dumps([vars_of(r) for r in received]))
        (home / "kills.json").write_text(json.dumps(kills))
    result = compare(report, received)
    recoveries = recovery_times(report, received, kills)
    detections = detection_times(report, kills)
    kicks = [t for t in report["tasks"] if t["task_path"].endswith("deliver_pending")]
    return {
        "database": "postgresql" if database_url else "sqlite",
        "workers": args.workers,
        "process_check": args.process_check,
        "heartbeat_seconds": args.heartbeat or 2,
        "deliveries": result.expected,
        "events": events,
        "kills": len(kills),
        "kills_during_a_delivery": len({pid for pid, _ in kills} & interrupting_pids(report)),
        "lost": len(result.lost),
        "unexpected": len(result.unexpected),
        "duplicates_same_key": result.duplicates_same_key,
        "duplicates_other_key": len(result.duplicates_other_key),
        "bad_signatures": result.bad_signatures,
        "states": result.states,
        "recovery_samples": len(recoveries),
        "recovery_p50_s": round(percentile(recoveries, 0.5), 2),
        "recovery_p99_s": round(percentile(recoveries, 0.99), 2),
        "recovery_max_s": round(max(recoveries), 2) if recoveries else None,
        "detection_p50_s": round(percentile(detections, 0.5), 2),
        "detection_p99_s": round(percentile(detections, 0.99), 2),
        "interrupted_tasks": len(report["interrupted"]),
        "tasks_left_running": sum(1 for t in report["tasks"] if t["status"] == "RUNNING"),
        "delivery_tasks_queued": len(kicks),
        "total_s": round(finished - started, 1),
        "seeding_s": round(seeded["seconds"], 1),
    }


def vars_of(item: Any) -> dict[str, Any]:
    return {name: getattr(item, name) for name in ("at", "kind", "delivery", "key")}


def interrupting_pids(report: dict[str, Any]) -> set[int]:
    pid_of = {row["worker_id"]: row["pid"] for row in report["heartbeats"]}
    return {
        pid_of[a["worker"]]
        for a in report["attempts"]
        if a["outcome"] == "interrupted" and a["worker"] in pid_of
    }


def detection_times(report: dict[str, Any], kills: list[tuple[int, float]]) -> list[float]:
    """Kill → the moment a live worker declared the killed one dead (`died_at`)."""
    died = {
        row["pid"]: datetime.fromisoformat(row["died_at"]).timestamp()
        for row in report["heartbeats"]
        if row["died_at"]
    }
    return [died[pid] - at for pid, at in kills if pid in died]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL server: a fresh database is created")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--deliveries", type=int, default=1200)
    parser.add_argument("--emails-per-event", type=int, default=2)
    parser.add_argument("--events-per-commit", type=int, default=10)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument(
        "--kill-every",
        type=float,
        nargs=2,
        default=(1.0, 3.0),
        metavar=("MIN", "MAX"),
        help="seconds between kills, drawn uniformly",
    )
    parser.add_argument("--receiver-delay-ms", type=float, default=50)
    parser.add_argument(
        "--startup-grace",
        type=float,
        default=1.0,
        help="seconds a worker has run since its first heartbeat before it may be killed",
    )
    parser.add_argument("--heartbeat", type=int, help="VIGIE_WORKER_HEARTBEAT_SECONDS")
    parser.add_argument(
        "--no-process-check",
        dest="process_check",
        action="store_false",
        help="VIGIE_WORKER_PROCESS_CHECK=0: detection by heartbeat only (workers elsewhere)",
    )
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--deadline", type=float, default=600)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--keep", metavar="DIR", help="a new folder for the home and worker logs, kept"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vigie-bench-kills-") as folder:
        home = Path(args.keep) if args.keep else Path(folder) / "home"
        home.mkdir(parents=True)
        database_url = name = None
        if args.database_url:
            database_url, name = fresh_postgres(args.database_url)
        try:
            summary = run(args, home, database_url)
        finally:
            if args.database_url and name:
                drop_postgres(args.database_url, name)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for key, value in summary.items():
            print(f"{key:26} {value}")
    return 1 if summary["lost"] or summary["duplicates_other_key"] else 0


if __name__ == "__main__":
    sys.exit(main())

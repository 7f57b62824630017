"""Random SIGKILLs of `vigie vulns import`, each followed by a re-run: are any alerts lost?

The measurement of issue 14, on the demo's feeds (NVD records, CVE 5, CSAF advisories, KEV,
EU KEV, EPSS) over the demo's inventories: one clean import gives the expected alerts and
deliveries; then, N times, a fresh copy of the same database, the same import killed with
SIGKILL after a random delay (uniform over the clean run's duration), and the import run again
as an operator would. Each recovered outcome (every alert row: establishment, CVE, asset, feed,
confidence, active, state, priority; every delivery the alerts caused, and their idempotency
keys) is compared with the clean one.

The kill lands wherever it lands: what the killed run had done (records stored, matching owed,
alert rows written) is read from the database before the re-run and reported per kill.

    .venv/bin/python bench/bench_import_kills.py                      # SQLite, 10 kills
    .venv/bin/python bench/bench_import_kills.py --shared-records 6000  # real NVD records
    .venv/bin/python bench/bench_import_kills.py --kills 20 --database-url postgres://postgres@127.0.0.1:5432/vigie

The child process is tests/vulns/crash_child.py (the crash tests' own), which stores in batches
of 100 records and matches in chunks of 50 vulnerabilities so that kills fall between committed
batches and chunks. Exits 1 when any kill lost or added an alert or a delivery.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import _common

ROOT = _common.ROOT


class Databases:
    """Copies of one template database: files on SQLite, `CREATE DATABASE … TEMPLATE` on
    PostgreSQL (every database made is dropped at the end)."""

    def __init__(self, folder: Path, server: str | None) -> None:
        self.folder = folder
        self.server = server
        self.made: list[str] = []
        self.prefix = f"vigie_bench_kills_{secrets.token_hex(3)}"

    def url(self, name: str) -> str:
        if self.server is None:
            return f"sqlite:///{self.folder / name}.sqlite3"
        return urlunsplit(urlsplit(self.server)._replace(path=f"/{self.prefix}_{name}"))

    def _admin(self) -> Any:
        import psycopg

        assert self.server is not None
        admin = urlunsplit(urlsplit(self.server)._replace(path="/postgres"))
        return psycopg.connect(admin, autocommit=True)

    def create(self, name: str, template: str | None = None) -> str:
        if self.server is None:
            if template is not None:
                shutil.copy(self.folder / f"{template}.sqlite3", self.folder / f"{name}.sqlite3")
            return self.url(name)
        with self._admin() as admin:
            suffix = f' TEMPLATE "{self.prefix}_{template}"' if template else ""
            admin.execute(f'CREATE DATABASE "{self.prefix}_{name}"{suffix}')
        self.made.append(f"{self.prefix}_{name}")
        return self.url(name)

    def drop(self, name: str) -> None:
        if self.server is None:
            (self.folder / f"{name}.sqlite3").unlink(missing_ok=True)
            return
        with self._admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.prefix}_{name}" WITH (FORCE)')
        self.made.remove(f"{self.prefix}_{name}")

    def drop_all(self) -> None:
        if self.server is None:
            return
        with self._admin() as admin:
            for name in reversed(self.made):
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.made.clear()

    def counts(self, url: str) -> dict[str, int]:
        """What a killed run left: records stored, matching owed, alert rows, runs by state."""
        queries = {
            "records": "SELECT count(*) FROM vulns_feedrecord",
            "owed": "SELECT count(*) FROM vulns_pendingmatch",
            "alert_rows": "SELECT count(*) FROM vulns_alertasset",
            "running_runs": "SELECT count(*) FROM vulns_feedrun WHERE state = 'running'",
        }
        if self.server is None:
            connection = sqlite3.connect(urlsplit(url).path)
            try:
                return {k: connection.execute(q).fetchone()[0] for k, q in queries.items()}
            finally:
                connection.close()
        import psycopg

        with psycopg.connect(url) as connection:
            return {k: connection.execute(q).fetchone()[0] for k, q in queries.items()}


def shared_feeds(folder: Path, records: int) -> Path:
    """A feed folder from ../shared/data: the first `records` NVD records (Anchore's NVD
    overrides), CISA's ICS advisories of 2024 (CSAF), CISA KEV, EU KEV and an EPSS file."""
    import gzip

    vuln = _common.DATA / "vuln"
    target = folder / "feeds"
    (target / "csaf").mkdir(parents=True)
    with (
        gzip.open(vuln / "nvd" / "anchore-nvd-overrides" / "all-overrides.jsonl.gz", "rt") as src,
        (target / "nvd.jsonl").open("w") as out,
    ):
        for count, line in enumerate(src):
            if count >= records:
                break
            out.write(line)
    for path in sorted((vuln / "csaf" / "cisa-icsa-2024").glob("*.json")):
        shutil.copy(path, target / "csaf" / path.name)
    shutil.copy(vuln / "kev" / "known_exploited_vulnerabilities.json", target / "kev.json")
    shutil.copy(vuln / "kev" / "eukev.json", target / "eukev.json")
    shutil.copy(vuln / "epss" / "epss_scores_emba_2026-08-16.csv", target / "epss.csv")
    return target


FEEDS: Path | None = None  # None: the demo's feeds


def environment(url: str, home: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "vigie.settings_test",
        "VIGIE_DATABASE_URL": url,
        "VIGIE_TASKS_BACKEND": "database",
        "VIGIE_HOME": str(home),
        "VIGIE_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("VIGIE_CRASH_FEEDS", None)  # the demo's whole feeds
    if FEEDS is not None:
        env["VIGIE_CRASH_FEEDS"] = str(FEEDS)
    return env


def child_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tests.vulns.crash_child", *args]


def run_child(url: str, home: Path, *args: str) -> dict[str, Any] | None:
    result = subprocess.run(
        child_command(*args),
        cwd=ROOT,
        env=environment(url, home),
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stderr[-3000:]}")
    lines = result.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else None


def differences(recovered: dict[str, Any], expected: dict[str, Any]) -> dict[str, int]:
    want = {json.dumps(row) for row in expected["alerts"]}
    got = {json.dumps(row) for row in recovered["alerts"]}
    deliveries_lost = sum(
        max(0, count - recovered["deliveries"].get(key, 0))
        for key, count in expected["deliveries"].items()
    )
    deliveries_added = sum(
        max(0, count - expected["deliveries"].get(key, 0))
        for key, count in recovered["deliveries"].items()
    )
    return {
        "alert_rows_lost": len(want - got),
        "alert_rows_added": len(got - want),
        "deliveries_lost": deliveries_lost,
        "deliveries_added": deliveries_added,
        "deliveries_per_key": recovered["deliveries_per_key"],
        "owed_left": recovered["pending"],
        "runs_left_running": recovered["runs"].count("running"),
    }


def phase_of(left: dict[str, int], total_records: int) -> str:
    if left["records"] < total_records:
        return "storing"
    if left["owed"] and left["alert_rows"] == 0:
        return "stored, nothing matched"
    if left["owed"]:
        return "matching"
    return "after matching"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", help="PostgreSQL server: fresh databases are created")
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument(
        "--shared-records",
        type=int,
        metavar="N",
        help="instead of the demo's feeds: N NVD records and the CSAF, KEV and EPSS files of "
        "../shared/data",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    global FEEDS
    rng = random.Random(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="vigie-bench-kills-"))
    home = folder / "home"
    dbs = Databases(folder, args.database_url)
    report: dict[str, Any] = {"database": "postgresql" if args.database_url else "sqlite"}
    try:
        if args.shared_records:
            FEEDS = shared_feeds(folder, args.shared_records)
        run_child(dbs.create("template"), home, "setup", "base", "inventories")
        clean_url = dbs.create("clean", "template")
        started = time.perf_counter()
        expected = run_child(clean_url, home, "clean-feed")
        clean_s = time.perf_counter() - started
        if expected is None or not expected["alerts"]:
            raise SystemExit("the clean run raised no alert: the measurement would test nothing")
        total_records = dbs.counts(clean_url)["records"]
        dbs.drop("clean")
        report.update(
            clean_run_s=round(clean_s, 1),
            feed_records=total_records,
            alert_rows=len(expected["alerts"]),
            deliveries=sum(expected["deliveries"].values()),
        )
        kills: list[dict[str, Any]] = []
        for index in range(args.kills):
            name = f"kill{index}"
            url = dbs.create(name, "template")
            # The child's start (interpreter, Django) takes about a second before any work.
            delay = rng.uniform(1.0, clean_s)
            process = subprocess.Popen(
                child_command("feed-import", "killed-from-outside", "0"),
                cwd=ROOT,
                env=environment(url, home),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                process.wait(timeout=delay)
                finished_first = True
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait()
                finished_first = False
            left = dbs.counts(url)
            started = time.perf_counter()
            recovered = run_child(url, home, "recover-import")
            assert recovered is not None
            outcome = {
                "delay_s": round(delay, 2),
                "killed": not finished_first,
                "phase": phase_of(left, total_records),
                **{f"left_{k}": v for k, v in left.items()},
                "rerun_s": round(time.perf_counter() - started, 1),
                **differences(recovered, expected),
            }
            kills.append(outcome)
            dbs.drop(name)
            print(
                f"kill {index + 1}/{args.kills} at {delay:.1f} s ({outcome['phase']}): "
                f"alert rows lost {outcome['alert_rows_lost']}, "
                f"added {outcome['alert_rows_added']}, "
                f"deliveries lost {outcome['deliveries_lost']}",
                file=sys.stderr,
            )
        phases: dict[str, int] = {}
        for kill in kills:
            phases[kill["phase"]] = phases.get(kill["phase"], 0) + 1
        report.update(
            kills=sum(1 for kill in kills if kill["killed"]),
            phases=phases,
            alert_rows_lost=sum(k["alert_rows_lost"] for k in kills),
            alert_rows_added=sum(k["alert_rows_added"] for k in kills),
            deliveries_lost=sum(k["deliveries_lost"] for k in kills),
            deliveries_added=sum(k["deliveries_added"] for k in kills),
            max_deliveries_per_key=max((k["deliveries_per_key"] for k in kills), default=0),
            owed_left=sum(k["owed_left"] for k in kills),
            runs_left_running=sum(k["runs_left_running"] for k in kills),
            owed_at_kill_max=max((k["left_owed"] for k in kills), default=0),
            rerun_s_max=max((k["rerun_s"] for k in kills), default=0),
        )
        if args.json:
            report["per_kill"] = kills
    finally:
        dbs.drop_all()
        shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key:<30} {value}")
    bad = (
        report.get("alert_rows_lost", 1)
        or report.get("alert_rows_added", 1)
        or report.get("deliveries_lost", 1)
        or report.get("deliveries_added", 1)
        or report.get("max_deliveries_per_key", 2) > 1
        or report.get("owed_left", 1)
        or report.get("runs_left_running", 1)
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

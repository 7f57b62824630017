"""Imports killed with SIGKILL, then recovered: the alerts end exactly as after one clean run.

Each scenario runs real processes (tests/vulns/crash_child.py) on a database of its own, copied
from a template (a file on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL, whichever the
suite runs on): one process is killed at a chosen phase of a feed import or an inventory import,
then another recovers the way production does (the same import run again, a worker starting,
the `resume-matching` job), and its alerts (establishment, CVE, asset, feed, confidence, active,
state, priority) and outbox deliveries (alert, event, transport, recipient, channel) are
compared with those of a clean run: none lost, none added, one delivery per idempotency key.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from django.conf import settings

REPO = Path(__file__).resolve().parents[2]
DEMO_FEEDS = REPO / "src" / "vigie" / "vulns" / "demo_data" / "feeds"
KILLED = -9


def feed_slice(folder: Path) -> Path:
    """A third of the demo's NVD records and CSAF advisories, with its CVE 5, KEV and EPSS
    files: about 250 records, 200 alert rows over the demo inventories, seconds to import."""
    import gzip

    folder.mkdir()
    (folder / "csaf").mkdir()
    with gzip.open(DEMO_FEEDS / "nvd-overrides.jsonl.gz", "rt") as source:
        (folder / "nvd.jsonl").write_text("".join(source.readlines()[::3]))
    for name in ("cve5.jsonl", "kev.json", "eukev.json", "epss.csv.gz"):
        shutil.copy(DEMO_FEEDS / name, folder / name)
    for path in sorted((DEMO_FEEDS / "csaf").iterdir())[::3]:
        shutil.copy(path, folder / "csaf" / path.name)
    return folder


@dataclass
class Databases:
    """Scenario databases, made from templates.

    The templates and the clean runs are made once per test session, whatever the number of
    xdist workers: they live in the folder the workers share, under a lock, with a count of the
    workers using them; the last one to finish drops them. Each worker drops its own scenarios.
    """

    shared: Path
    folder: Path
    postgres: dict[str, Any] | None
    made: list[str] = field(default_factory=list)

    @contextmanager
    def _state(self) -> Iterator[dict[str, Any]]:
        with (self.shared / "lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            path = self.shared / "state.json"
            state: dict[str, Any] = (
                orjson.loads(path.read_bytes())
                if path.exists()
                else {
                    "prefix": f"vigie_crash_{uuid.uuid4().hex[:8]}",
                    "templates": {},
                    "clean": {},
                    "users": 0,
                }
            )
            yield state
            if state["users"] or self.postgres is None:
                path.write_bytes(orjson.dumps(state))
            else:
                path.unlink(missing_ok=True)

    @property
    def feeds(self) -> Path:
        return self.shared / "feeds"

    def join(self) -> None:
        with self._state() as state:
            state["users"] += 1
            if not self.feeds.exists():
                feed_slice(self.feeds)

    def leave(self) -> None:
        if self.postgres is not None:
            with self._admin() as admin:
                for name in reversed(self.made):
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        with self._state() as state:
            state["users"] -= 1
            if not state["users"] and self.postgres is not None:
                with self._admin() as admin:
                    for name in reversed(list(state["templates"].values())):
                        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                state["templates"] = {}

    def _admin(self) -> Any:
        import psycopg

        assert self.postgres is not None
        return psycopg.connect(
            dbname="postgres",
            user=self.postgres["USER"],
            password=self.postgres["PASSWORD"] or None,
            host=self.postgres["HOST"] or None,
            port=self.postgres["PORT"] or None,
            autocommit=True,
        )

    def url(self, name: str, folder: Path) -> str:
        if self.postgres is None:
            return f"sqlite:///{folder / name}.sqlite3"
        db = self.postgres
        credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
        return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"

    def _create(self, name: str, folder: Path, template: str | None) -> str:
        if self.postgres is None:
            if template is not None:
                shutil.copy(self.shared / f"{template}.sqlite3", folder / f"{name}.sqlite3")
            return self.url(name, folder)
        with self._admin() as admin:
            suffix = f" TEMPLATE {template}" if template else ""
            admin.execute(f'CREATE DATABASE "{name}"{suffix}')
        return self.url(name, folder)

    def _template(self, state: dict[str, Any], kind: str) -> str:
        """The demo's people (`base`), and its inventories or its feeds, made from `base`."""
        if kind not in state["templates"]:
            base = None if kind == "base" else self._template(state, "base")
            name = f"{state['prefix']}_{kind}"
            child(self, self._create(name, self.shared, base), "setup", kind)
            state["templates"][kind] = name
        return str(state["templates"][kind])

    def _scenario(self, state: dict[str, Any], kind: str) -> str:
        name = f"{state['prefix']}_{uuid.uuid4().hex[:8]}"
        url = self._create(name, self.folder, self._template(state, kind))
        self.made.append(name)
        return url

    def scenario(self, kind: str) -> str:
        with self._state() as state:
            return self._scenario(state, kind)

    def clean(self, kind: str) -> dict[str, Any]:
        """The outcome of one clean run of the feed import, or of the inventory import."""
        with self._state() as state:
            if kind not in state["clean"]:
                url = self._scenario(state, "inventories" if kind == "feed" else "feeds")
                state["clean"][kind] = dumped(child(self, url, f"clean-{kind}"))
            outcome: dict[str, Any] = state["clean"][kind]
        assert outcome["alerts"], "the clean run raised no alert: the scenario tests nothing"
        return outcome


def child(databases: Databases, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "vigie.settings_test",
        "VIGIE_DATABASE_URL": url,
        "VIGIE_TASKS_BACKEND": "database",
        "VIGIE_HOME": str(databases.folder / "home"),  # this worker's own
        "VIGIE_CRASH_FEEDS": str(databases.feeds),
        "VIGIE_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(REPO),
    }
    env.pop("VIGIE_TEST_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "tests.vulns.crash_child", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if args[0] in ("setup", "clean-feed", "clean-inventory") or args[0].startswith("recover"):
        assert result.returncode == 0, result.stderr[-3000:]
    return result


def dumped(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    outcome: dict[str, Any] = orjson.loads(result.stdout.strip().splitlines()[-1])
    return outcome


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[Databases]:
    db = settings.DATABASES["default"]
    postgres = dict(db) if db["ENGINE"].endswith("postgresql") else None
    own = tmp_path_factory.getbasetemp()
    # Under xdist every worker's temporary folder sits in one folder of this session.
    shared = own.parent / "crash-shared" if worker_id != "master" else own / "crash-shared"
    shared.mkdir(exist_ok=True)
    found = Databases(shared=shared, folder=tmp_path_factory.mktemp("crash"), postgres=postgres)
    found.join()
    try:
        yield found
    finally:
        found.leave()


def assert_same_outcome(recovered: dict[str, Any], expected: dict[str, Any]) -> None:
    assert recovered["alerts"] == expected["alerts"]
    assert recovered["deliveries"] == expected["deliveries"]
    assert recovered["deliveries_per_key"] == 1
    assert recovered["pending"] == 0  # nothing owed is left behind
    assert "running" not in recovered["runs"]
    assert recovered["interrupted_unresumed"] == 0


@pytest.mark.parametrize(
    ("phase", "nth"),
    [
        ("after-store", 1),  # every record stored, nothing matched yet
        ("mid-store", 1),  # the first batch of records stored, the others not
        ("mid-match", 100),  # 99 alerts brought in line, then killed inside the 100th
    ],
)
def test_a_feed_import_killed_at_any_phase_is_completed_by_running_it_again(
    databases: Databases, phase: str, nth: int
) -> None:
    expected = databases.clean("feed")
    url = databases.scenario("inventories")
    assert child(databases, url, "feed-import", phase, str(nth)).returncode == KILLED
    recovered = dumped(child(databases, url, "recover-import"))
    assert_same_outcome(recovered, expected)
    # The operator is told about the earlier run, and that its work was finished.
    assert "interrupted" in recovered["runs"]
    report = recovered["report"]
    assert [run["run"] for run in report["summary"]["interrupted"]] == [1]
    assert "was interrupted: its process" in report["stderr"]
    assert report["summary"]["resumed"]["owed_matches"] > 0


def test_a_feed_import_killed_while_matching_is_completed_by_the_periodic_job(
    databases: Databases,
) -> None:
    expected = databases.clean("feed")
    url = databases.scenario("inventories")
    assert child(databases, url, "feed-import", "mid-match", "250").returncode == KILLED
    assert_same_outcome(dumped(child(databases, url, "recover-job")), expected)


def test_an_inventory_import_killed_after_its_commit_is_matched_by_the_next_worker(
    databases: Databases,
) -> None:
    expected = databases.clean("inventory")
    url = databases.scenario("feeds")
    assert child(databases, url, "inventory-import", "after-store", "0").returncode == KILLED
    recovered = dumped(child(databases, url, "recover-worker"))
    assert_same_outcome(recovered, expected)
    assert recovered["imports"] == ["done"]


def test_an_inventory_import_killed_while_matching_is_completed_by_the_periodic_job(
    databases: Databases,
) -> None:
    expected = databases.clean("inventory")
    url = databases.scenario("feeds")
    assert child(databases, url, "inventory-import", "mid-match", "20").returncode == KILLED
    recovered = dumped(child(databases, url, "recover-job"))
    assert_same_outcome(recovered, expected)
    assert recovered["imports"] == ["done"]

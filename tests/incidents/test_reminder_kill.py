"""Deadline reminders survive a real SIGKILL: a reminder's marker and its notices are written
together, so a run killed half-way leaves whole reminders only, and the next run sends the
rest, each exactly once. Real processes on a scratch SQLite home."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.intel.test_import_kill import _run

CHILD = Path(__file__).with_name("reminder_child.py")
CASES = 12
# Aware 30 hours ago: the "without delay" report (target 24 h: reminders at 12 h, 23 h, 24 h)
# and the NIS2 early warning (18 h, 23 h, 24 h) have had all their reminders; the 72-hour
# clocks none yet.
PER_CASE = 6


def _rows(home: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(home / "vigie.sqlite3") as db:
        return list(db.execute(sql).fetchall())


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    migrated = _run(home, "-m", "django", "migrate", "--no-input", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    return home


def _markers(home: Path) -> set[str]:
    rows = _rows(home, "SELECT incident_id, code, reminder_at FROM incidents_reminder ORDER BY id")
    return {f"{incident}:{code}" for incident, code, _at in rows}


def _notices(home: Path) -> list[str]:
    rows = _rows(
        home,
        "SELECT idempotency_key, recipient FROM notify_delivery WHERE event = 'incident.deadline'",
    )
    return [f"{key}|{recipient}" for key, recipient in rows]


def test_a_reminder_run_killed_half_way_is_finished_by_the_next_without_repeats(
    home: Path,
) -> None:
    killed = _run(home, str(CHILD), str(CASES * PER_CASE // 2))
    assert killed.returncode == -9, killed.stderr
    markers = _rows(home, "SELECT COUNT(*) FROM incidents_reminder")[0][0]
    notices = _notices(home)
    # Whole reminders only: every marker has its notice, and no notice is without its marker.
    assert 0 < int(str(markers)) < CASES * PER_CASE
    assert len(notices) == markers
    finished = _run(home, str(CHILD), "0")
    assert finished.returncode == 0, finished.stderr
    assert _rows(home, "SELECT COUNT(*) FROM incidents_reminder")[0][0] == CASES * PER_CASE
    notices = _notices(home)
    assert len(notices) == len(set(notices)) == CASES * PER_CASE
    again = _run(home, str(CHILD), "0")
    assert again.returncode == 0, again.stderr
    assert len(_notices(home)) == CASES * PER_CASE
    assert len(_markers(home)) == CASES * 2

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
# and the NIS2 early warning (18 h, 23 h, 24 h) are overdue; the 72-hour clocks have no
# reminder due yet. Each overdue report gets one message (the latest reminder) and three
# markers (the two earlier ones marked as skipped with it).
REPORTS = 2
PER_CASE = 3 * REPORTS


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
    killed = _run(home, str(CHILD), str(CASES * REPORTS // 2))
    assert killed.returncode == -9, killed.stderr
    sent = _rows(home, "SELECT COUNT(*) FROM incidents_reminder WHERE NOT skipped")[0][0]
    markers = _rows(home, "SELECT COUNT(*) FROM incidents_reminder")[0][0]
    notices = _notices(home)
    # Whole reminders only: every marker sent has its notice, no notice is without its marker,
    # and the stale markers came with them.
    assert 0 < int(str(sent)) < CASES * REPORTS
    assert len(notices) == sent
    assert markers == 3 * int(str(sent))
    finished = _run(home, str(CHILD), "0")
    assert finished.returncode == 0, finished.stderr
    assert _rows(home, "SELECT COUNT(*) FROM incidents_reminder")[0][0] == CASES * PER_CASE
    notices = _notices(home)
    assert len(notices) == len(set(notices)) == CASES * REPORTS
    again = _run(home, str(CHILD), "0")
    assert again.returncode == 0, again.stderr
    assert len(_notices(home)) == CASES * REPORTS
    assert len(_markers(home)) == CASES * 2

"""Backup problem notices survive a real SIGKILL: a problem's marker and its notifications
are written together, so a `backup-checks` run killed half-way leaves whole notices only, and
the next run sends the rest, each exactly once. Real processes on a scratch SQLite home
shared between them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.backups.notice_child import ESTABLISHMENTS, SETS_PER_ESTABLISHMENT
from tests.intel.test_import_kill import _run

CHILD = Path(__file__).with_name("notice_child.py")
SETS = ESTABLISHMENTS * SETS_PER_ESTABLISHMENT
PER_SET = 3  # stale, check_never, restore_test_never
PROBLEMS = SETS * PER_SET


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


def _notices(home: Path) -> list[str]:
    rows = _rows(home, "SELECT backup_set_id, code, anchor FROM backups_problemnotice")
    return [f"backup.problem:{set_id}:{code}:{anchor}" for set_id, code, anchor in rows]


def _deliveries(home: Path) -> list[tuple[str, str]]:
    rows = _rows(
        home,
        "SELECT idempotency_key, recipient FROM notify_delivery WHERE event = 'backup.problem'",
    )
    return [(str(key), str(recipient)) for key, recipient in rows]


def _assert_whole(home: Path) -> None:
    """Every marker has its notification and no notification is without its marker."""
    notices = _notices(home)
    deliveries = _deliveries(home)
    assert len(notices) == len(set(notices))
    assert len(deliveries) == len(set(deliveries))
    assert {key for key, _recipient in deliveries} == set(notices)
    # One officer per establishment: one delivery per notice.
    assert len(deliveries) == len(notices)


def test_a_check_run_killed_half_way_is_finished_by_the_next_without_repeats(
    home: Path,
) -> None:
    killed = _run(home, str(CHILD), str(PROBLEMS // 2))
    assert killed.returncode == -9, killed.stderr
    sent = len(_notices(home))
    # The write that was killed is rolled back with its marker.
    assert sent == PROBLEMS // 2 - 1
    _assert_whole(home)

    finished = _run(home, str(CHILD), "0")
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == str(PROBLEMS - sent)
    assert len(_notices(home)) == PROBLEMS
    _assert_whole(home)
    per_set = _rows(
        home, "SELECT backup_set_id, COUNT(*) FROM backups_problemnotice GROUP BY backup_set_id"
    )
    assert len(per_set) == SETS
    assert {count for _set, count in per_set} == {PER_SET}

    again = _run(home, str(CHILD), "0")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "0"
    assert len(_notices(home)) == PROBLEMS
    assert len(_deliveries(home)) == PROBLEMS
    _assert_whole(home)


def test_a_run_killed_at_its_first_notice_leaves_nothing_half_written(home: Path) -> None:
    killed = _run(home, str(CHILD), "1")
    assert killed.returncode == -9, killed.stderr
    assert _notices(home) == []
    assert _deliveries(home) == []
    finished = _run(home, str(CHILD), "0")
    assert finished.returncode == 0, finished.stderr
    assert len(_notices(home)) == PROBLEMS
    _assert_whole(home)

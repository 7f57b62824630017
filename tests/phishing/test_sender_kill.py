"""The sender survives a real SIGKILL between claiming a recipient and committing: the marker
(`sent_at`) and the outbox row commit together, so the re-run sends each message exactly once.
Real processes on a scratch SQLite home."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.intel.test_import_kill import _run

CHILD = Path(__file__).with_name("sender_child.py")
RECIPIENTS = 12


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


def _sent(home: Path) -> int:
    return int(
        str(_rows(home, "SELECT COUNT(*) FROM phishing_target WHERE sent_at IS NOT NULL")[0][0])
    )


def _messages(home: Path) -> list[str]:
    rows = _rows(
        home,
        "SELECT idempotency_key, recipient FROM notify_delivery"
        " WHERE event = 'phishing.simulation'",
    )
    return [f"{key}|{recipient}" for key, recipient in rows]


def test_a_send_run_killed_mid_transaction_is_finished_by_the_next_without_repeats(
    home: Path,
) -> None:
    killed = _run(home, str(CHILD), str(RECIPIENTS // 2))
    assert killed.returncode == -9, killed.stderr
    # The recipient being written when the process died was rolled back with its message.
    assert _sent(home) == len(_messages(home)) == RECIPIENTS // 2 - 1
    finished = _run(home, str(CHILD), "0")
    assert finished.returncode == 0, finished.stderr
    messages = _messages(home)
    assert len(messages) == len(set(messages)) == _sent(home) == RECIPIENTS
    again = _run(home, str(CHILD), "0")
    assert again.returncode == 0, again.stderr
    assert len(_messages(home)) == RECIPIENTS
    assert _rows(home, "SELECT state FROM phishing_campaign") == [("done",)]

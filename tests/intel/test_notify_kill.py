"""Publishing an advisory and reporting a sighting store their rows and their notices in one
transaction: a real SIGKILL between two outbox writes leaves neither, and the same action run
again stores both whole. Real processes on a scratch SQLite home."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.intel.test_import_kill import _run

CHILD = Path(__file__).with_name("notify_child.py")
ESTABLISHMENTS = 12


def _count(home: Path, sql: str) -> int:
    with sqlite3.connect(home / "vigie.sqlite3") as db:
        return int(db.execute(sql).fetchone()[0])


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    migrated = _run(home, "-m", "django", "migrate", "--no-input", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    return home


def test_a_publication_killed_half_way_tells_nobody_and_a_rerun_tells_everyone(
    home: Path,
) -> None:
    killed = _run(home, str(CHILD), "advisory", str(ESTABLISHMENTS // 2))
    assert killed.returncode == -9, killed.stderr
    assert _count(home, "SELECT COUNT(*) FROM intel_advisoryreceipt") == 0
    assert _count(home, "SELECT COUNT(*) FROM notify_delivery") == 0
    assert _count(home, "SELECT COUNT(*) FROM intel_advisory WHERE published_at IS NOT NULL") == 0

    clean = _run(home, str(CHILD), "advisory", "0")
    assert clean.returncode == 0, clean.stderr
    assert clean.stdout.strip() == str(ESTABLISHMENTS)
    assert _count(home, "SELECT COUNT(*) FROM intel_advisoryreceipt") == ESTABLISHMENTS
    # One e-mail per establishment's security officer (its default e-mail channel).
    assert (
        _count(home, "SELECT COUNT(*) FROM notify_delivery WHERE event = 'advisory.published'")
        == ESTABLISHMENTS
    )


def test_a_sighting_killed_between_its_two_notices_is_not_stored_and_a_rerun_stores_it(
    home: Path,
) -> None:
    killed = _run(home, str(CHILD), "sighting", "1")
    assert killed.returncode == -9, killed.stderr
    assert _count(home, "SELECT COUNT(*) FROM intel_sighting") == 0
    assert _count(home, "SELECT COUNT(*) FROM notify_delivery") == 0

    clean = _run(home, str(CHILD), "sighting", "0")
    assert clean.returncode == 0, clean.stderr
    assert clean.stdout.split() == ["1", "True"]
    assert _count(home, "SELECT COUNT(*) FROM intel_sighting") == 1
    events = {
        "sighting.new": "SELECT COUNT(*) FROM notify_delivery WHERE event = 'sighting.new'",
        "sighting.reported": (
            "SELECT COUNT(*) FROM notify_delivery WHERE event = 'sighting.reported'"
        ),
    }
    assert _count(home, events["sighting.new"]) == 1
    assert _count(home, events["sighting.reported"]) == 1

"""An indicator import killed with SIGKILL stores nothing; the same import run again stores it
whole. Real processes on a scratch SQLite home (the transaction is the guarantee on both
databases; PostgreSQL runs the same code)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

CHILD = Path(__file__).with_name("import_child.py")
REPO = Path(__file__).resolve().parents[2]
ROWS = 5_000  # several batches: the kill lands after the first ones were written


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("VIGIE_DATABASE")},
        "VIGIE_HOME": str(home),
        "DJANGO_SETTINGS_MODULE": "vigie.settings",
        "PYTHONPATH": str(REPO / "src"),
    }
    return subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


COUNTS = {
    "intel_indicator": "SELECT COUNT(*) FROM intel_indicator",
    "intel_indicatorsource": "SELECT COUNT(*) FROM intel_indicatorsource",
    "intel_indicatorimport": "SELECT COUNT(*) FROM intel_indicatorimport",
}


def _count(home: Path, table: str) -> int:
    with sqlite3.connect(home / "vigie.sqlite3") as db:
        return int(db.execute(COUNTS[table]).fetchone()[0])


def test_a_killed_import_leaves_nothing_and_a_rerun_stores_everything(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    migrated = _run(home, "-m", "django", "migrate", "--no-input", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    data = tmp_path / "ips.txt"
    data.write_text("".join(f"198.18.{i // 250}.{i % 250 + 1}\n" for i in range(ROWS)))

    killed = _run(home, str(CHILD), str(data), "1800")
    assert killed.returncode == -9, killed.stderr
    assert _count(home, "intel_indicator") == 0
    assert _count(home, "intel_indicatorsource") == 0
    assert _count(home, "intel_indicatorimport") == 0

    clean = _run(home, str(CHILD), str(data), "0")
    assert clean.returncode == 0, clean.stderr
    assert clean.stdout.strip() == str(ROWS)
    assert _count(home, "intel_indicator") == ROWS
    assert _count(home, "intel_indicatorsource") == ROWS

"""`vigie vulns match`: files in, JSON or a table out, exit codes scripts can rely on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .support import DEMO_FEEDS, DEMO_INVENTORIES

REPO = Path(__file__).resolve().parents[2]
INVENTORY = REPO / "tests" / "data" / "inventory"


def vigie(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vigie.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "VIGIE_HOME": str(REPO / "var" / "test-cli")},
    )


def test_json_output_has_one_object_per_asset_and_vulnerability_with_the_interface_fields() -> None:
    result = vigie(
        "vulns",
        "match",
        "--inventory",
        str(DEMO_INVENTORIES / "chu-val-de-loire.csv"),
        "--feed",
        str(DEMO_FEEDS),
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows
    for row in rows:
        assert {"asset", "vulnerability", "source", "confidence", "priority", "reason"} <= set(row)
        assert row["confidence"] in {"high", "medium", "low"}
        assert row["priority"] in {"act", "attend", "track*", "track"}
    pairs = [(r["asset"], r["vulnerability"]) for r in rows]
    assert len(pairs) == len(set(pairs))
    portal = next(
        r for r in rows if r["asset"] == "srv-portail" and r["vulnerability"] == "CVE-2024-38475"
    )
    assert portal["priority"] == "act"
    assert portal["source"] == "nvd"
    assert "2.4.59" in portal["reason"]
    pump = [r for r in rows if r["asset"] == "rea-pompe-01"]
    assert pump
    assert all(r["source"].startswith(("csaf:", "cve5")) for r in pump)


def test_table_output_and_a_summary_on_stderr() -> None:
    result = vigie(
        "vulns",
        "match",
        "--inventory",
        str(DEMO_INVENTORIES / "clinique-des-tilleuls.csv"),
        "--feed",
        str(DEMO_FEEDS / "csaf"),
        "--format",
        "table",
    )
    assert result.returncode == 0
    assert result.stdout.splitlines()[0].split()[:3] == ["PRIORITY", "ASSET", "VULNERABILITY"]
    assert "assets" in result.stderr
    assert "matches" in result.stderr


def test_sbom_inventory_is_accepted() -> None:
    result = vigie(
        "vulns",
        "match",
        "--inventory",
        str(INVENTORY / "extended.sbom.json"),
        "--feed",
        str(DEMO_FEEDS / "kev.json"),
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_no_match_is_still_success() -> None:
    result = vigie(
        "vulns",
        "match",
        "--inventory",
        str(DEMO_INVENTORIES / "clinique-des-tilleuls.csv"),
        "--feed",
        str(DEMO_FEEDS / "eukev.json"),
    )
    assert result.returncode == 0
    assert json.loads(result.stdout) == []


def test_unreadable_inventory_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name,kind\npump,Pompe,spaceship\n")
    result = vigie(
        "vulns", "match", "--inventory", str(bad), "--feed", str(DEMO_FEEDS / "kev.json")
    )
    assert result.returncode == 2
    assert "bad.csv, line 2" in result.stderr
    assert "field kind" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_or_malformed_feed_is_a_clear_error(tmp_path: Path) -> None:
    inventory = str(DEMO_INVENTORIES / "clinique-des-tilleuls.csv")
    missing = vigie(
        "vulns", "match", "--inventory", inventory, "--feed", str(tmp_path / "nope.json")
    )
    assert missing.returncode == 2
    assert "nope.json" in missing.stderr
    broken = tmp_path / "broken.json"
    broken.write_text('{"vulnerabilities": [')
    result = vigie("vulns", "match", "--inventory", inventory, "--feed", str(broken))
    assert result.returncode == 2
    assert "broken.json" in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_error_exits_non_zero() -> None:
    result = vigie("vulns", "match", "--feed", "x")
    assert result.returncode != 0
    assert "--inventory" in result.stderr

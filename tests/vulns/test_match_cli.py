"""`vigie vulns match` on feed folders some or all of whose files cannot be read, its table and
its help: the real command, in a subprocess, on real feed files from tests/data."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FEEDS = REPO / "tests" / "data" / "feeds"
FORTIOS_NVD = FEEDS / "nvd" / "cve-2024-23113.json"  # FortiOS 7.2.0 to 7.2.8 among others
KEV_GZ = FEEDS / "kev" / "known_exploited_vulnerabilities.json.gz"
EU_KEV = FEEDS / "kev" / "eukev.json"
NOT_A_FEED = REPO / "tests" / "data" / "inventory" / "hospital-inventory.csv"
HEADER = "id,name,kind,vendor,product,version,cpe,purl,parent,criticality,exposure,location\n"
LONG_ID = "pare-feu-urgences-batiment-b-fortigate-600e"
NAME = "Pare-feu des urgences (bâtiment B)"


def vigie(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vigie.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "VIGIE_HOME": str(REPO / "var" / "test-cli")},
    )


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    path = tmp_path / "inventory.csv"
    path.write_text(
        HEADER + f"{LONG_ID},{NAME},network,Fortinet,FortiOS,7.2.5,"
        "cpe:2.3:o:fortinet:fortios:7.2.5:*:*:*:*:*:*:*,,,clinical,internet,Bâtiment B\n",
        encoding="utf-8",
    )
    return path


def truncated_copy(source: Path, target: Path) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    return target


def unreadable_files(folder: Path) -> list[Path]:
    """A file that is not a feed, a truncated JSON feed and a truncated gzip feed."""
    folder.mkdir(exist_ok=True)
    not_json = folder / NOT_A_FEED.name
    shutil.copy(NOT_A_FEED, not_json)
    truncated_json = truncated_copy(FORTIOS_NVD, folder / "truncated-nvd.json")
    truncated_gzip = truncated_copy(KEV_GZ, folder / "truncated-kev.json.gz")
    with pytest.raises(EOFError):  # really truncated: gzip itself cannot read it whole
        gzip.decompress(truncated_gzip.read_bytes())
    return [not_json, truncated_json, truncated_gzip]


def test_a_feed_folder_where_no_file_can_be_read_exits_non_zero_naming_each_file(
    tmp_path: Path, inventory: Path
) -> None:
    folder = tmp_path / "feeds"
    bad = unreadable_files(folder)
    result = vigie("vulns", "match", "--inventory", str(inventory), "--feed", str(folder))
    assert result.returncode == 2
    assert result.stdout == ""  # no "[]" a script would read as "nothing found"
    for path in bad:
        line = next(line for line in result.stderr.splitlines() if str(path) in line)
        assert "unreadable feed file" in line
    assert "invalid JSON" in result.stderr
    assert "cannot read the file" in result.stderr
    assert "not a known feed format" in result.stderr
    assert "no feed could be read" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_empty_feed_folder_exits_non_zero(tmp_path: Path, inventory: Path) -> None:
    (tmp_path / "feeds").mkdir()
    result = vigie(
        "vulns", "match", "--inventory", str(inventory), "--feed", str(tmp_path / "feeds")
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "no feed file found" in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_a_permission_less_feed_file_counts_as_unreadable(tmp_path: Path, inventory: Path) -> None:
    folder = tmp_path / "feeds"
    folder.mkdir()
    locked = folder / FORTIOS_NVD.name
    shutil.copy(FORTIOS_NVD, locked)
    locked.chmod(0)
    result = vigie("vulns", "match", "--inventory", str(inventory), "--feed", str(folder))
    assert result.returncode == 2
    assert str(locked) in result.stderr
    assert "Permission denied" in result.stderr


def test_unreadable_files_beside_good_ones_are_named_and_counted_and_the_rest_matches(
    tmp_path: Path, inventory: Path
) -> None:
    folder = tmp_path / "feeds"
    bad = unreadable_files(folder)
    shutil.copy(FORTIOS_NVD, folder / FORTIOS_NVD.name)
    shutil.copy(EU_KEV, folder / EU_KEV.name)
    result = vigie("vulns", "match", "--inventory", str(inventory), "--feed", str(folder))
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["asset"], r["vulnerability"]) for r in rows] == [(LONG_ID, "CVE-2024-23113")]
    for path in bad:
        assert f"unreadable feed file: {path}" in result.stderr
    summary = result.stderr.splitlines()[-1]
    assert "1 matches" in summary
    assert "3 of 5 feed files unreadable" in summary


def test_strict_exits_3_when_a_feed_file_was_unreadable_and_still_prints_the_matches(
    tmp_path: Path, inventory: Path
) -> None:
    folder = tmp_path / "feeds"
    folder.mkdir()
    shutil.copy(FORTIOS_NVD, folder / FORTIOS_NVD.name)
    truncated_copy(KEV_GZ, folder / "truncated-kev.json.gz")
    args = ("vulns", "match", "--inventory", str(inventory), "--feed", str(folder))
    result = vigie(*args, "--strict")
    assert result.returncode == 3
    assert [r["asset"] for r in json.loads(result.stdout)] == [LONG_ID]
    assert "truncated-kev.json.gz" in result.stderr
    assert "--strict: 1 feed file could not be read" in result.stderr
    (folder / "truncated-kev.json.gz").unlink()
    clean = vigie(*args, "--strict")
    assert clean.returncode == 0, clean.stderr
    assert json.loads(clean.stdout) == json.loads(result.stdout)


def test_table_shows_the_full_asset_id_and_the_asset_name(inventory: Path) -> None:
    result = vigie(
        "vulns",
        "match",
        "--inventory",
        str(inventory),
        "--feed",
        str(FORTIOS_NVD),
        "--format",
        "table",
    )
    assert result.returncode == 0, result.stderr
    header, *lines = result.stdout.splitlines()
    assert header.split()[:3] == ["PRIORITY", "ASSET", "VULNERABILITY"]
    assert "ASSET NAME" in header
    assert len(lines) == 1
    assert LONG_ID in lines[0].split()
    assert NAME in lines[0]
    assert "CVE-2024-23113" in lines[0]
    reason = json.loads(
        vigie("vulns", "match", "--inventory", str(inventory), "--feed", str(FORTIOS_NVD)).stdout
    )[0]["reason"]
    assert lines[0].endswith(reason)  # piped output: the whole line, nothing cut


def test_match_help_describes_every_option_with_its_default() -> None:
    result = vigie("vulns", "match", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "--inventory PATH CSV, CycloneDX or SPDX inventory file (required)" in text
    assert "--feed PATH NVD, CVE 5, CSAF" in text
    assert "at least one required" in text
    assert "--format {json,table} json:" in text
    assert "(default: json)" in text
    assert "--strict exit with status 3" in text
    assert "(default: off" in text
    assert "2 on a usage error or unusable input" in text

"""`vigie`, `vigie --help` and `vigie help`: the project's commands first, described; Django's
after them, and where their own listing is. The real command, in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
OURS = (
    "demo",
    "serve",
    "worker",
    "token",
    "token create",
    "vulns",
    "vulns match",
    "vulns import",
    "vulns refresh",
    "vulns rematch",
)


def vigie(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vigie.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "VIGIE_HOME": str(REPO / "var" / "test-cli")},
    )


def described(stdout: str, command: str) -> str:
    """The description printed beside `command` in the listing."""
    for line in stdout.splitlines():
        if line.startswith(f"  {command}  "):
            return line[len(command) + 2 :].strip()
    raise AssertionError(f"{command!r} is not listed:\n{stdout}")


@pytest.mark.parametrize("args", [(), ("--help",), ("-h",), ("help",)])
def test_help_lists_vigie_commands_first_each_with_a_description(args: tuple[str, ...]) -> None:
    result = vigie(*args)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for command in OURS:
        assert described(out, command)
    assert "offline" in described(out, "vulns match")
    assert "token" in described(out, "token create")
    first_django = min(out.index(name) for name in ("migrate", "shell", "createsuperuser"))
    assert all(out.index(f"  {command}  ") < first_django for command in OURS)
    assert "[auth]" not in out  # Django's own grouped listing is not what comes first
    assert "vigie help --django" in out
    assert "vigie vulns match --help" in out


def test_help_django_gives_djangos_listing_by_application() -> None:
    result = vigie("help", "--django")
    assert result.returncode == 0, result.stderr
    assert "[auth]" in result.stdout
    assert "[django]" in result.stdout
    assert "    migrate" in result.stdout
    assert "    vulns" in result.stdout


def test_help_on_one_command_still_shows_its_options() -> None:
    result = vigie("help", "vulns")
    assert result.returncode == 0, result.stderr
    assert "match" in result.stdout
    assert "rematch" in result.stdout

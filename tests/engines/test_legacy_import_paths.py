"""Modules that moved when the engines were split by concern keep their old import paths."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from vigie.engines._legacy import MOVED


@pytest.mark.parametrize(("old", "new"), sorted(MOVED.items()))
def test_old_module_path_gives_the_same_module_object(old: str, new: str) -> None:
    assert importlib.import_module(old) is importlib.import_module(new)


def test_old_paths_work_as_the_first_import_of_a_fresh_interpreter() -> None:
    code = (
        "from vigie.engines.device_match import match_device, DeviceIndex\n"
        "from vigie.engines.nvd_match import VulnIndex\n"
        "from vigie.engines.ssvc import decide\n"
        "import vigie.engines.advisories.device_match as new\n"
        "assert new.match_device is match_device\n"
        "from vigie.engines.cpe import parse_cpe\n"
        "assert parse_cpe('cpe:2.3:a:sudo_project:sudo:1.8.31:*:*:*:*:*:*:*').version == '1.8.31'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]

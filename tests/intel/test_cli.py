"""`vigie intel import`: files into an organisation's collection, as a named member."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from vigie.intel.models import Indicator

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("intel", "import", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_command_imports_each_file_and_reports_its_problems_by_line(
    tmp_path: Path, centre_analyst: Any
) -> None:
    good = tmp_path / "iocs.csv"
    good.write_text("type,value\nfqdn,c2.example\nip,not-an-ip\n")
    text = _run("--org", "centre", "--user", "centre.analyst", "--tlp", "green", str(good))
    assert "1 indicators (1 new" in text
    assert "line 3" in text
    assert Indicator.objects.get(value="c2.example").tlp == "green"


def test_someone_who_may_not_publish_is_refused(tmp_path: Path, a_admin: Any) -> None:
    path = tmp_path / "list.txt"
    path.write_text("c2.example\n")
    with pytest.raises(CommandError, match="not a member"):
        _run("--org", "centre", "--user", "a.admin", str(path))
    with pytest.raises(CommandError, match="may not publish"):
        _run("--org", "chu-alpha", "--user", "a.admin", str(path))
    assert not Indicator.objects.exists()


def test_an_unreadable_file_exits_with_status_2(tmp_path: Path, centre_analyst: Any) -> None:
    with pytest.raises(SystemExit) as exit_:
        _run("--org", "centre", "--user", "centre.analyst", str(tmp_path / "missing.txt"))
    assert exit_.value.code == 2

"""The `vigie` command and the idempotent demo."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command

from vigie.incidents.models import Incident
from vigie.tenancy.models import Membership, Organisation


def test_vigie_command_lists_project_and_django_commands() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vigie.cli", "help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    for command in ("demo", "serve", "worker", "token", "migrate", "shell"):
        assert command in result.stdout


def test_bad_environment_variable_is_one_clear_line_without_traceback(tmp_path: Any) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "vigie.cli", "check"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "VIGIE_HOME": str(tmp_path), "VIGIE_DEBUG": "perhaps"},
    )
    assert result.returncode == 2
    assert "VIGIE_DEBUG='perhaps'" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_loads_once_and_a_second_run_changes_nothing(db: Any) -> None:
    first = StringIO()
    call_command("demo", "--no-serve", stdout=first, stderr=StringIO())
    counts = (
        Organisation.objects.count(),
        get_user_model().objects.count(),
        Membership.objects.count(),
        Incident.objects.count(),
    )
    assert counts[0] == 4
    assert Organisation.objects.filter(kind="establishment").count() == 3
    assert "passwords are shown only this once" in first.getvalue()
    incidents = Incident.objects.all()
    assert incidents.count() >= 10
    ransomware = incidents.get(category="ransomware")
    assert ransomware.degraded_mode
    assert ransomware.transfers_neonatal > 0
    assert ransomware.submissions.exists()
    assert ransomware.entries.filter(kind="note").exists()
    second = StringIO()
    call_command("demo", "--no-serve", stdout=second, stderr=StringIO())
    assert counts == (
        Organisation.objects.count(),
        get_user_model().objects.count(),
        Membership.objects.count(),
        Incident.objects.count(),
    )
    assert "already loaded" in second.getvalue()


def test_demo_passwords_printed_actually_work(db: Any) -> None:
    out = StringIO()
    call_command("demo", "--no-serve", stdout=out, stderr=StringIO())
    line = next(
        line for line in out.getvalue().splitlines() if line.strip().startswith("chu.admin")
    )
    password = line.split()[1]
    assert get_user_model().objects.get(username="chu.admin").check_password(password)


def test_serve_on_a_new_home_serves_the_static_files_its_pages_link(tmp_path: Any) -> None:
    """First run: the static root does not exist until `vigie serve` collects it."""
    import os
    import re
    import time
    import urllib.error
    import urllib.request

    from tests.helpers import _free_port

    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "VIGIE_HOME": str(tmp_path / "home"),
        "VIGIE_WEB_WORKERS": "1",
        "VIGIE_LOG_LEVEL": "WARNING",
    }
    subprocess.run(
        [sys.executable, "-m", "vigie.cli", "migrate", "--verbosity", "0"],
        env=env,
        check=True,
        timeout=120,
    )
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "vigie.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        page = ""
        deadline = time.monotonic() + 60
        while not page and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/accounts/login/", timeout=5) as response:
                    page = response.read().decode()
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.3)
        assert page, "vigie serve did not answer within 60 s"
        assets = sorted(set(re.findall(r'(?:src|href)="(/static/[^"]+)"', page)))
        assert any(a.endswith(".css") for a in assets)
        assert any("htmx" in a for a in assets)
        for asset in assets:
            with urllib.request.urlopen(base + asset, timeout=5) as response:
                assert response.status == 200, asset
    finally:
        server.terminate()
        server.wait(timeout=30)

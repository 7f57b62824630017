"""`vigie sensor backups` against a live platform: it runs the real restic or borg on a real
repository and posts each output with a real token. The repository's password stays in the
environment: never in the argv of the tools it runs, never in its output or the log."""

from __future__ import annotations

import io
import logging
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.backups.support import borg_repo, make_set, restic_repo
from vigie.api.tokens import create_token
from vigie.backups.models import IntegrityCheck, Snapshot
from vigie.sensor.backup_command import commands_for
from vigie.sensor.cli import main
from vigie.tenancy.models import Organisation

PASSWORD = "Tr0ub4dor-sauvegarde-7731"

pytestmark = pytest.mark.django_db(transaction=True)


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out, err)
    return status, out.getvalue(), err.getvalue()


def _made(tmp_path: Path) -> Path:
    """Where the repository and its data are made, apart from the sensor's files."""
    made = tmp_path / "made"
    made.mkdir()
    return made


def _spy(bin_dir: Path, tool: str, log: Path) -> None:
    """A `tool` first on PATH that writes down each argv it is given, then runs the real one."""
    real = shutil.which(tool)
    assert real is not None, f"{tool} is not installed"
    bin_dir.mkdir(exist_ok=True)
    spy = bin_dir / tool
    spy.write_text(f'#!/bin/sh\nprintf "%s\\n" "$0 $*" >> "{log}"\nexec "{real}" "$@"\n')
    spy.chmod(0o755)


@pytest.fixture
def platform(
    live_server: Any, a_admin: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """The options that point the sensor at the live platform with a write token."""
    _row, secret = create_token(user=a_admin, name="sensor", scope="write")
    token = tmp_path / "token"
    token.write_text(secret + "\n")
    monkeypatch.setenv("VIGIE_HOME", str(tmp_path / "home"))
    for name in ("VIGIE_SENSOR_TOKEN", "VIGIE_SENSOR_PLATFORM", "VIGIE_SENSOR_ORGANISATION"):
        monkeypatch.delenv(name, raising=False)
    return [
        "--platform",
        live_server.url,
        "--organisation",
        "chu-alpha",
        "--token-file",
        str(token),
    ]


def _no_secret(
    log: Path, out: str, err: str, caplog: pytest.LogCaptureFixture, secret: str
) -> None:
    argvs = log.read_text()
    assert argvs.strip()
    assert secret not in argvs
    assert secret not in out
    assert secret not in err
    assert secret not in caplog.text
    for check in IntegrityCheck.objects.all():
        assert secret not in check.excerpt


def test_restic_snapshots_and_check_reach_the_platform_without_the_password(
    platform: list[str],
    est_a: Organisation,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    repo = restic_repo(_made(tmp_path))
    backup_set = make_set(est_a)
    log = tmp_path / "argv.log"
    _spy(tmp_path / "bin", "restic", log)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    # The repository's password, only in the environment.
    monkeypatch.setenv("RESTIC_PASSWORD", repo.env["RESTIC_PASSWORD"])
    monkeypatch.setenv("RESTIC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("RESTIC_REPOSITORY", raising=False)
    args = ["backups", "--tool", "restic", "--repository", str(repo.path)]
    status, out, err = _run(*args, "--set", str(backup_set.pk), "--check", *platform)
    assert status == 0, err
    assert "snapshots sent: 2 new snapshots, 0 already known" in out
    assert "check sent" in out
    assert set(Snapshot.objects.values_list("source", flat=True)) == {"sensor"}
    assert backup_set.snapshots.count() == 2
    check = IntegrityCheck.objects.get(backup_set=backup_set)
    assert (check.ok, check.exit_code, check.source) == (True, 0, "sensor")
    # Run again: nothing stored twice.
    status, out, err = _run(*args, "--set", str(backup_set.pk), *platform)
    assert status == 0, err
    assert "0 new snapshots, 2 already known" in out
    assert backup_set.snapshots.count() == 2
    lines = log.read_text().splitlines()
    assert [line.split()[1:] for line in lines] == [
        ["--repo", str(repo.path), "snapshots", "--json"],
        ["--repo", str(repo.path), "check"],
        ["--repo", str(repo.path), "snapshots", "--json"],
    ]
    _no_secret(log, out, err, caplog, repo.env["RESTIC_PASSWORD"])


def test_the_commands_built_carry_the_repository_and_never_a_secret() -> None:
    for tool in ("restic", "borg"):
        for kind, argv in commands_for(tool, "/srv/backups/dpi", check=True):
            assert argv[0] == tool
            assert "/srv/backups/dpi" in argv
            assert not any("pass" in a.lower() or "key" in a.lower() for a in argv), (kind, argv)


def test_a_wrong_restic_password_fails_without_showing_it(
    platform: list[str],
    est_a: Organisation,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    repo = restic_repo(_made(tmp_path), backups=1)
    backup_set = make_set(est_a)
    log = tmp_path / "argv.log"
    _spy(tmp_path / "bin", "restic", log)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("RESTIC_PASSWORD", PASSWORD)
    monkeypatch.setenv("RESTIC_CACHE_DIR", str(tmp_path / "cache"))
    status, out, err = _run(
        "backups",
        "--tool",
        "restic",
        "--repository",
        str(repo.path),
        "--set",
        str(backup_set.pk),
        *platform,
    )
    assert status == 1
    assert "restic snapshots: exit status" in err
    assert not Snapshot.objects.exists()
    _no_secret(log, out, err, caplog, PASSWORD)


def test_borg_info_and_check_reach_the_platform_without_the_passphrase(
    platform: list[str],
    est_a: Organisation,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    repo = borg_repo(_made(tmp_path))
    backup_set = make_set(est_a, tool="borg")
    log = tmp_path / "argv.log"
    _spy(tmp_path / "bin", "borg", log)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("BORG_BASE_DIR", repo.env["BORG_BASE_DIR"])
    monkeypatch.setenv("BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK", "yes")
    # An unencrypted repository needs none; a sensor's environment may still hold one.
    monkeypatch.setenv("BORG_PASSPHRASE", PASSWORD)
    args = ["backups", "--tool", "borg", "--repository", str(repo.path)]
    status, out, err = _run(*args, "--set", str(backup_set.pk), "--check", *platform)
    assert status == 0, err
    assert "info sent: 2 new snapshots, 0 already known" in out
    assert "check sent" in out
    names = set(backup_set.snapshots.values_list("name", flat=True))
    assert names == {"archive-0", "archive-1"}
    assert backup_set.snapshots.filter(data_added__isnull=False).count() == 2
    check = IntegrityCheck.objects.get(backup_set=backup_set)
    assert (check.ok, check.source) == (True, "sensor")
    status, out, err = _run(*args, "--set", str(backup_set.pk), *platform)
    assert status == 0, err
    assert "0 new snapshots, 2 already known" in out
    assert backup_set.snapshots.count() == 2
    _no_secret(log, out, err, caplog, PASSWORD)


def test_a_set_of_another_establishment_is_refused_and_nothing_stored(
    platform: list[str],
    est_a: Organisation,
    est_b: Organisation,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = restic_repo(_made(tmp_path), backups=1)
    theirs = make_set(est_b)
    monkeypatch.setenv("RESTIC_PASSWORD", repo.env["RESTIC_PASSWORD"])
    monkeypatch.setenv("RESTIC_CACHE_DIR", str(tmp_path / "cache"))
    status, _out, err = _run(
        "backups",
        "--tool",
        "restic",
        "--repository",
        str(repo.path),
        "--set",
        str(theirs.pk),
        *platform,
    )
    assert status == 1
    assert "snapshots:" in err
    assert not Snapshot.objects.exists()


def test_without_a_platform_the_command_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIGIE_HOME", str(tmp_path / "home"))
    for name in (
        "VIGIE_SENSOR_TOKEN",
        "VIGIE_SENSOR_TOKEN_FILE",
        "VIGIE_SENSOR_PLATFORM",
        "VIGIE_SENSOR_ORGANISATION",
    ):
        monkeypatch.delenv(name, raising=False)
    status, _out, err = _run(
        "backups", "--tool", "restic", "--repository", str(tmp_path), "--set", "1"
    )
    assert status == 2
    assert "no platform configured" in err

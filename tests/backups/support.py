"""Real restic and borg repositories made in the test's tmp_path."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from vigie.backups.models import BackupSet
from vigie.tenancy.models import Organisation


@dataclass
class Repo:
    path: Path
    data: Path
    env: dict[str, str]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args), env=self.env, capture_output=True, text=True, timeout=120, check=False
        )


def restic_repo(tmp_path: Path, backups: int = 2) -> Repo:
    data = tmp_path / "data"
    data.mkdir()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "RESTIC_PASSWORD": "test password",
        "RESTIC_REPOSITORY": str(tmp_path / "restic"),
        "RESTIC_CACHE_DIR": str(tmp_path / "cache"),
    }
    repo = Repo(tmp_path / "restic", data, env)
    assert repo.run("restic", "init").returncode == 0
    for n in range(backups):
        (data / f"file{n}.txt").write_text(f"content {n}\n" * 100)
        assert repo.run("restic", "backup", "--json", "-q", str(data)).returncode == 0
    return repo


def borg_repo(tmp_path: Path, archives: int = 2) -> Repo:
    data = tmp_path / "data"
    data.mkdir()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "BORG_BASE_DIR": str(tmp_path / "borgbase"),
        "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes",
        "TZ": "UTC",
    }
    repo = Repo(tmp_path / "borg", data, env)
    assert repo.run("borg", "init", "--encryption=none", str(repo.path)).returncode == 0
    for n in range(archives):
        (data / f"file{n}.txt").write_text(f"content {n}\n" * 100)
        made = repo.run("borg", "create", f"{repo.path}::archive-{n}", str(data))
        assert made.returncode == 0, made.stderr
    return repo


def make_set(
    org: Organisation, system: str = "DPI", tool: str = "restic", **extra: object
) -> BackupSet:
    from django.utils import timezone

    values: dict[str, object] = {
        "rpo_hours": 24,
        "rto_hours": 4,
        "copies_count": 3,
        "media_count": 2,
        "offsite": True,
        "offline_or_immutable": True,
        **extra,
    }
    return BackupSet.objects.create(
        organisation=org, system=system, tool=tool, created_at=timezone.now(), **values
    )

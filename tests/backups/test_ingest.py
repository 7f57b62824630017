"""Status files from real restic and borg repositories, uploaded through the set's page:
stored once, all or nothing, bad files named by file, line and field."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from tests.backups.support import borg_repo, make_set, restic_repo
from tests.helpers import signed_in
from vigie.audit.models import AuditEvent
from vigie.backups.actions import MAX_STATUS_BYTES
from vigie.backups.models import IntegrityCheck, Snapshot
from vigie.tenancy.models import Organisation

pytestmark = pytest.mark.django_db


def _upload(client: Any, org: str, set_id: int, name: str, data: bytes, **fields: Any) -> Any:
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(
        reverse("backups:upload", kwargs={"org": org, "set_id": set_id}),
        {"file": upload, "kind": fields.pop("kind", "auto"), **fields},
    )


def test_real_restic_snapshots_and_check_are_stored_once(
    est_a: Organisation, a_admin: Any, tmp_path: Path
) -> None:
    repo = restic_repo(tmp_path)
    backup_set = make_set(est_a)
    client = signed_in(a_admin)
    snapshots = repo.run("restic", "snapshots", "--json").stdout.encode()
    answer = _upload(client, est_a.slug, backup_set.pk, "snapshots.json", snapshots)
    assert answer.status_code == 302
    assert backup_set.snapshots.count() == 2
    again = _upload(client, est_a.slug, backup_set.pk, "snapshots.json", snapshots)
    assert again.status_code == 302
    assert backup_set.snapshots.count() == 2  # idempotent
    check = repo.run("restic", "check")
    answer = _upload(
        client,
        est_a.slug,
        backup_set.pk,
        "check.txt",
        (check.stdout + check.stderr).encode(),
        kind="check",
        exit_code=check.returncode,
    )
    assert answer.status_code == 302
    stored = IntegrityCheck.objects.get(backup_set=backup_set)
    assert stored.ok
    assert "no errors were found" in stored.excerpt
    page = client.get(
        reverse("backups:detail", kwargs={"org": est_a.slug, "set_id": backup_set.pk})
    )
    assert page.status_code == 200
    assert AuditEvent.objects.filter(action="backup.status_ingested").count() == 3


def test_a_restic_backup_summary_completes_the_snapshot_listed_later(
    est_a: Organisation, a_admin: Any, tmp_path: Path
) -> None:
    repo = restic_repo(tmp_path, backups=1)
    (repo.data / "new.txt").write_text("new\n" * 1000)
    summary = repo.run("restic", "backup", "--json", str(repo.data)).stdout.encode()
    backup_set = make_set(est_a)
    client = signed_in(a_admin)
    assert _upload(client, est_a.slug, backup_set.pk, "backup.json", summary).status_code == 302
    (snapshot,) = backup_set.snapshots.all()
    assert snapshot.data_added
    assert snapshot.data_added > 0
    listed = repo.run("restic", "snapshots", "--json").stdout.encode()
    assert _upload(client, est_a.slug, backup_set.pk, "s.json", listed).status_code == 302
    assert backup_set.snapshots.count() == 2
    snapshot.refresh_from_db()
    assert snapshot.data_added
    assert snapshot.data_added > 0


def test_real_borg_info_list_and_check(est_a: Organisation, a_admin: Any, tmp_path: Path) -> None:
    repo = borg_repo(tmp_path)
    backup_set = make_set(est_a, tool="borg")
    client = signed_in(a_admin)
    listed = repo.run("borg", "list", "--json", str(repo.path)).stdout.encode()
    assert _upload(client, est_a.slug, backup_set.pk, "list.json", listed).status_code == 302
    assert backup_set.snapshots.filter(data_added__isnull=True).count() == 2
    info = repo.run("borg", "info", "--json", "--last", "10", str(repo.path)).stdout.encode()
    assert _upload(client, est_a.slug, backup_set.pk, "info.json", info).status_code == 302
    assert backup_set.snapshots.count() == 2
    assert backup_set.snapshots.filter(data_added__isnull=False).count() == 2
    check = repo.run("borg", "check", str(repo.path))
    answer = _upload(
        client,
        est_a.slug,
        backup_set.pk,
        "check.txt",
        check.stderr.encode(),
        kind="check",
        exit_code=check.returncode,
    )
    assert answer.status_code == 302
    assert IntegrityCheck.objects.get(backup_set=backup_set).ok


def test_a_damaged_restic_repository_fails_its_check(
    est_a: Organisation, a_admin: Any, tmp_path: Path
) -> None:
    repo = restic_repo(tmp_path)
    pack = next(p for p in (repo.path / "data").rglob("*") if p.is_file())
    pack.unlink()  # a pack the index names is gone
    check = repo.run("restic", "check")
    assert check.returncode != 0
    backup_set = make_set(est_a)
    answer = _upload(
        signed_in(a_admin),
        est_a.slug,
        backup_set.pk,
        "check.txt",
        (check.stdout + check.stderr).encode(),
        kind="check",
        exit_code=check.returncode,
    )
    assert answer.status_code == 302
    stored = IntegrityCheck.objects.get(backup_set=backup_set)
    assert not stored.ok
    assert stored.errors >= 1


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (
            b'[{"id": "abc", "time": "2026-01-01T00:00:00Z"},\n {"id": "def", "time": 3}]',
            ["bad.json", "line 2", "field [1].time"],
        ),
        (
            b'[{"id": "abc", "time": "2026-01-01T00:00:00Z"},\n {"id": "def", "ti',
            ["bad.json", "line 2"],
        ),
        (b"\xff\xfe not text", ["bad.json", "line 1"]),
        (b"", ["bad.json"]),
    ],
)
def test_a_bad_file_is_refused_whole_naming_file_line_and_field(
    est_a: Organisation, a_admin: Any, data: bytes, words: list[str]
) -> None:
    a_admin.language = "en"
    a_admin.save(update_fields=["language"])
    backup_set = make_set(est_a)
    answer = _upload(signed_in(a_admin), est_a.slug, backup_set.pk, "bad.json", data)
    assert answer.status_code == 400
    text = answer.content.decode()
    for word in words:
        # The page speaks the site's language: "line 2" is "ligne 2" in French.
        assert word in text or word.replace("line", "ligne").replace("field", "champ") in text
    assert Snapshot.objects.count() == 0


def test_a_huge_file_is_refused_by_its_size(est_a: Organisation, a_admin: Any) -> None:
    backup_set = make_set(est_a)
    answer = _upload(
        signed_in(a_admin),
        est_a.slug,
        backup_set.pk,
        "huge.json",
        b"[" + b" " * MAX_STATUS_BYTES + b"]",
    )
    assert answer.status_code == 400
    assert "huge.json" in answer.content.decode()
    assert Snapshot.objects.count() == 0


def test_a_borg_file_for_a_restic_set_is_refused(est_a: Organisation, a_admin: Any) -> None:
    backup_set = make_set(est_a)
    answer = _upload(
        signed_in(a_admin),
        est_a.slug,
        backup_set.pk,
        "x.json",
        b'{"archives": [], "repository": {}}',
    )
    assert answer.status_code == 400
    assert "borg" in answer.content.decode()

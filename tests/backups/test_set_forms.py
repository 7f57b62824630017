"""The set form (create, edit, delete), the restore-test form and the status upload of each
kind from real restic and borg repositories: bad values are field errors, never a 500; only
those who manage backups change anything; another establishment's set is a 404."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.backups.support import Repo, borg_repo, make_set, restic_repo
from tests.helpers import signed_in
from vigie.audit.models import AuditEvent
from vigie.backups.models import BackupSet, IntegrityCheck, RestoreTest, Snapshot
from vigie.inventory.models import Asset
from vigie.tenancy.models import Organisation
from vigie.tenancy.roles import Role

pytestmark = pytest.mark.django_db


def _set_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "system": "Dossier patient informatisé",
        "tool": "restic",
        "schedule": "toutes les nuits à 01:00",
        "rpo_hours": "24",
        "rto_hours": "4",
        "copies_count": "3",
        "media_count": "2",
        "offsite": "on",
        "offline_or_immutable": "on",
        "restore_test_every_days": "90",
        "notes": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _url(name: str, org: Organisation, backup_set: BackupSet | None = None) -> str:
    kwargs: dict[str, Any] = {"org": org.slug}
    if backup_set is not None:
        kwargs["set_id"] = backup_set.pk
    return reverse(f"backups:{name}", kwargs=kwargs)


def _errors(response: Any) -> dict[str, list[str]]:
    form = response.context["form"]
    return {name: [str(e) for e in errors] for name, errors in form.errors.items()}


# --- Create, edit, delete ---------------------------------------------------------------------


def test_an_admin_creates_a_set_with_its_assets(est_a: Organisation, a_admin: Any) -> None:
    asset = Asset.objects.create(organisation=est_a, name="Serveur DPI")
    response = signed_in(a_admin).post(_url("new", est_a), _set_data(assets=[asset.pk]))
    assert response.status_code == 302
    backup_set = BackupSet.objects.get()
    assert response["Location"] == _url("detail", est_a, backup_set)
    assert (backup_set.organisation, backup_set.rpo_hours, backup_set.rto_hours) == (est_a, 24, 4)
    assert backup_set.offsite
    assert backup_set.offline_or_immutable
    assert list(backup_set.assets.all()) == [asset]
    event = AuditEvent.objects.get(action="backup.set_saved")
    assert event.details["created"] is True


def test_an_it_engineer_may_create_a_set_a_biomedical_engineer_may_not(
    est_a: Organisation, a_engineer: Any, make_user: Any
) -> None:
    it_engineer = make_user("a.it", est_a, Role.IT_ENGINEER)
    assert signed_in(a_engineer).post(_url("new", est_a), _set_data()).status_code == 403
    response = signed_in(it_engineer).post(_url("new", est_a), _set_data())
    assert response.status_code == 302
    assert BackupSet.objects.count() == 1


def test_another_establishments_asset_cannot_be_attached(
    est_a: Organisation, est_b: Organisation, a_admin: Any
) -> None:
    theirs = Asset.objects.create(organisation=est_b, name="Serveur de B")
    response = signed_in(a_admin).post(_url("new", est_a), _set_data(assets=[theirs.pk]))
    assert response.status_code == 200
    assert "assets" in _errors(response)
    assert not BackupSet.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rpo_hours", "0"),
        ("rpo_hours", "-1"),
        ("rpo_hours", "abc"),
        ("rpo_hours", "99999999"),
        ("rto_hours", "0"),
        ("rto_hours", "-4"),
        ("copies_count", "-1"),
        ("copies_count", "100"),
        ("media_count", "-2"),
        ("restore_test_every_days", "0"),
        ("restore_test_every_days", "-30"),
        ("system", ""),
        ("tool", "tar"),
    ],
)
def test_a_bad_value_is_a_field_error_on_create(
    est_a: Organisation, a_admin: Any, field: str, value: str
) -> None:
    response = signed_in(a_admin).post(_url("new", est_a), _set_data(**{field: value}))
    assert response.status_code == 200
    assert list(_errors(response)) == [field]
    assert not BackupSet.objects.exists()
    assert not AuditEvent.objects.filter(action="backup.set_saved").exists()


def test_an_admin_edits_a_set(est_a: Organisation, a_admin: Any) -> None:
    backup_set = make_set(est_a)
    client = signed_in(a_admin)
    page = client.get(_url("edit", est_a, backup_set))
    assert page.status_code == 200
    assert page.context["form"].initial["rpo_hours"] == 24
    response = client.post(
        _url("edit", est_a, backup_set), _set_data(rpo_hours="6", offsite=None, system="PACS")
    )
    assert response.status_code == 302
    backup_set.refresh_from_db()
    assert (backup_set.system, backup_set.rpo_hours, backup_set.offsite) == ("PACS", 6, False)
    event = AuditEvent.objects.get(action="backup.set_saved")
    assert event.details["created"] is False


@pytest.mark.parametrize(
    ("field", "value"),
    [("rpo_hours", "0"), ("rpo_hours", "-12"), ("rto_hours", "0"), ("copies_count", "-3")],
)
def test_a_bad_value_on_edit_changes_nothing(
    est_a: Organisation, a_admin: Any, field: str, value: str
) -> None:
    backup_set = make_set(est_a)
    response = signed_in(a_admin).post(
        _url("edit", est_a, backup_set), _set_data(**{field: value}, system="Changed")
    )
    assert response.status_code == 200
    assert field in _errors(response)
    backup_set.refresh_from_db()
    assert (backup_set.system, backup_set.rpo_hours, backup_set.rto_hours) == ("DPI", 24, 4)
    assert backup_set.copies_count == 3


def test_a_viewer_cannot_create_or_edit(est_a: Organisation, a_viewer: Any) -> None:
    backup_set = make_set(est_a)
    client = signed_in(a_viewer)
    assert client.get(_url("edit", est_a, backup_set)).status_code == 403
    assert client.post(_url("new", est_a), _set_data()).status_code == 403
    assert client.post(_url("edit", est_a, backup_set), _set_data(system="X")).status_code == 403
    backup_set.refresh_from_db()
    assert backup_set.system == "DPI"
    assert BackupSet.objects.count() == 1


def test_another_establishment_cannot_edit_or_delete_a_set(
    est_a: Organisation, est_b: Organisation, a_admin: Any, b_admin: Any
) -> None:
    backup_set = make_set(est_a)
    client = signed_in(b_admin)
    # Through A's address: not a member. Through B's: not one of B's sets.
    assert client.get(_url("edit", est_a, backup_set)).status_code == 404
    assert client.post(_url("delete", est_a, backup_set)).status_code == 404
    assert client.post(_url("edit", est_b, backup_set), _set_data()).status_code == 404
    assert client.post(_url("delete", est_b, backup_set)).status_code == 404
    assert BackupSet.objects.filter(pk=backup_set.pk).exists()


def test_a_set_is_deleted_by_post_only_and_not_by_a_viewer(
    est_a: Organisation, a_admin: Any, a_viewer: Any
) -> None:
    backup_set = make_set(est_a)
    Snapshot.objects.create(
        backup_set=backup_set,
        tool_id="aaaa1111",
        taken_at=timezone.now(),
        source="api",
        ingested_at=timezone.now(),
    )
    url = _url("delete", est_a, backup_set)
    assert signed_in(a_viewer).post(url).status_code == 403
    admin = signed_in(a_admin)
    assert admin.get(url).status_code == 405
    assert BackupSet.objects.filter(pk=backup_set.pk).exists()
    response = admin.post(url)
    assert response.status_code == 302
    assert response["Location"] == _url("list", est_a)
    assert not BackupSet.objects.exists()
    assert not Snapshot.objects.exists()
    event = AuditEvent.objects.get(action="backup.set_deleted")
    assert event.details["system"] == "DPI"


def test_the_centre_has_no_set_form(centre: Organisation, centre_analyst: Any) -> None:
    assert signed_in(centre_analyst).get(_url("new", centre)).status_code in (403, 404)


# --- Restore tests ----------------------------------------------------------------------------


def _restore_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "tested_on": (timezone.localdate() - timedelta(days=3)).isoformat(),
        "duration_minutes": "95",
        "result": "success",
        "restored": "Base du DPI sur un serveur isolé",
        "performed_by": "Équipe système",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_restore_test_is_recorded(est_a: Organisation, a_admin: Any) -> None:
    backup_set = make_set(est_a)
    response = signed_in(a_admin).post(_url("restore_test", est_a, backup_set), _restore_data())
    assert response.status_code == 302
    test = RestoreTest.objects.get(backup_set=backup_set)
    assert (test.duration_minutes, test.result, test.recorded_by) == (95, "success", a_admin)
    assert AuditEvent.objects.filter(action="backup.restore_test").count() == 1


def test_a_restore_test_without_a_duration_is_recorded(est_a: Organisation, a_admin: Any) -> None:
    backup_set = make_set(est_a)
    response = signed_in(a_admin).post(
        _url("restore_test", est_a, backup_set), _restore_data(duration_minutes="")
    )
    assert response.status_code == 302
    assert RestoreTest.objects.get().duration_minutes is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tested_on", (timezone.localdate() + timedelta(days=2)).isoformat()),
        ("tested_on", "2026-02-30"),
        ("tested_on", ""),
        ("duration_minutes", "-5"),
        ("duration_minutes", "quarante"),
        ("duration_minutes", "99999999"),
        ("result", "maybe"),
        ("restored", ""),
    ],
)
def test_a_bad_restore_test_is_a_field_error(
    est_a: Organisation, a_admin: Any, field: str, value: str
) -> None:
    backup_set = make_set(est_a)
    response = signed_in(a_admin).post(
        _url("restore_test", est_a, backup_set), _restore_data(**{field: value})
    )
    assert response.status_code == 400
    errors = response.context["restore_form"].errors
    assert list(errors) == [field]
    assert not RestoreTest.objects.exists()


def test_a_future_restore_test_is_refused_with_a_clear_message(
    est_a: Organisation, a_admin: Any
) -> None:
    backup_set = make_set(est_a)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = signed_in(a_admin).post(
        _url("restore_test", est_a, backup_set), _restore_data(tested_on=tomorrow)
    )
    assert response.status_code == 400
    # The page speaks the site's language (French).
    assert "ne peut pas être dans le futur" in response.content.decode()


def test_a_viewer_cannot_record_a_restore_test(
    est_a: Organisation, a_viewer: Any, b_admin: Any
) -> None:
    backup_set = make_set(est_a)
    url = _url("restore_test", est_a, backup_set)
    assert signed_in(a_viewer).post(url, _restore_data()).status_code == 403
    assert signed_in(b_admin).post(url, _restore_data()).status_code == 404
    assert signed_in(a_viewer).get(url).status_code in (403, 405)
    assert not RestoreTest.objects.exists()


# --- Uploads of each kind ---------------------------------------------------------------------


def _upload(client: Any, org: Organisation, backup_set: BackupSet, data: str, **fields: Any) -> Any:
    upload = io.BytesIO(data.encode())
    upload.name = f"{fields.get('kind', 'auto')}.txt"
    return client.post(_url("upload", org, backup_set), {"file": upload, **fields})


def _ok(repo: Repo, *args: str) -> str:
    done = repo.run(*args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_each_kind_of_restic_output_is_read(
    est_a: Organisation, a_admin: Any, tmp_path: Path
) -> None:
    repo = restic_repo(tmp_path, backups=1)
    (repo.data / "late.txt").write_text("late\n" * 500)
    summary = _ok(repo, "restic", "backup", "--json", str(repo.data))
    backup_set = make_set(est_a)
    client = signed_in(a_admin)
    assert _upload(client, est_a, backup_set, summary, kind="backup").status_code == 302
    (snapshot,) = backup_set.snapshots.all()
    assert snapshot.data_added
    assert snapshot.files_new == 1
    listed = _ok(repo, "restic", "snapshots", "--json")
    assert _upload(client, est_a, backup_set, listed, kind="snapshots").status_code == 302
    assert backup_set.snapshots.count() == 2
    check = repo.run("restic", "check")
    answer = _upload(
        client,
        est_a,
        backup_set,
        check.stdout + check.stderr,
        kind="check",
        exit_code=str(check.returncode),
    )
    assert answer.status_code == 302
    assert IntegrityCheck.objects.get(backup_set=backup_set).ok
    kinds = [e.details["kind"] for e in AuditEvent.objects.filter(action="backup.status_ingested")]
    assert sorted(kinds) == ["backup", "check", "snapshots"]


def test_each_kind_of_borg_output_is_read(
    est_a: Organisation, a_admin: Any, tmp_path: Path
) -> None:
    repo = borg_repo(tmp_path)
    backup_set = make_set(est_a, tool="borg")
    client = signed_in(a_admin)
    listed = _ok(repo, "borg", "list", "--json", str(repo.path))
    assert _upload(client, est_a, backup_set, listed, kind="list").status_code == 302
    assert backup_set.snapshots.count() == 2
    info = _ok(repo, "borg", "info", "--json", "--last", "10", str(repo.path))
    assert _upload(client, est_a, backup_set, info, kind="info").status_code == 302
    assert backup_set.snapshots.count() == 2
    assert backup_set.snapshots.filter(data_added__isnull=False).count() == 2
    check = repo.run("borg", "check", str(repo.path))
    answer = _upload(
        client, est_a, backup_set, check.stderr, kind="check", exit_code=str(check.returncode)
    )
    assert answer.status_code == 302
    stored = IntegrityCheck.objects.get(backup_set=backup_set)
    assert (stored.ok, stored.exit_code) == (True, 0)


def test_a_failed_borg_check_is_stored_as_failed(
    est_a: Organisation, a_admin: Any, tmp_path: Path
) -> None:
    repo = borg_repo(tmp_path, archives=1)
    for segment in (repo.path / "data").rglob("*"):
        if segment.is_file() and segment.name.isdigit() and segment.stat().st_size > 100:
            with segment.open("r+b") as damaged:
                damaged.seek(60)
                damaged.write(b"\x00garbage\x00" * 4)
    check = repo.run("borg", "check", str(repo.path))
    assert check.returncode != 0
    assert "errors found" in check.stderr
    backup_set = make_set(est_a, tool="borg")
    answer = _upload(
        signed_in(a_admin),
        est_a,
        backup_set,
        check.stderr,
        kind="check",
        exit_code=str(check.returncode),
    )
    assert answer.status_code == 302
    stored = IntegrityCheck.objects.get(backup_set=backup_set)
    assert not stored.ok
    assert stored.exit_code == check.returncode


def test_a_check_without_its_exit_code_is_a_field_error(est_a: Organisation, a_admin: Any) -> None:
    backup_set = make_set(est_a)
    client = signed_in(a_admin)
    missing = _upload(client, est_a, backup_set, "no errors were found\n", kind="check")
    assert missing.status_code == 400
    assert "exit_code" in missing.context["upload_form"].errors
    bad = _upload(client, est_a, backup_set, "no errors were found\n", kind="check", exit_code="-1")
    assert bad.status_code == 400
    assert "exit_code" in bad.context["upload_form"].errors
    assert not IntegrityCheck.objects.exists()


def test_a_file_of_the_wrong_kind_is_refused(
    est_a: Organisation, a_admin: Any, tmp_path: Path
) -> None:
    repo = restic_repo(tmp_path, backups=1)
    listed = _ok(repo, "restic", "snapshots", "--json")
    backup_set = make_set(est_a)
    answer = _upload(signed_in(a_admin), est_a, backup_set, listed, kind="backup")
    assert answer.status_code == 400
    assert "file" in answer.context["upload_form"].errors
    assert not Snapshot.objects.exists()


def test_a_viewer_cannot_upload(est_a: Organisation, a_viewer: Any, tmp_path: Path) -> None:
    repo = restic_repo(tmp_path, backups=1)
    listed = _ok(repo, "restic", "snapshots", "--json")
    backup_set = make_set(est_a)
    assert _upload(signed_in(a_viewer), est_a, backup_set, listed).status_code == 403
    assert not Snapshot.objects.exists()

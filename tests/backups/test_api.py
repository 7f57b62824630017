"""The backups API with real tokens: members read their sets; a write token of someone who
manages backups sends a real restic output, stored once; nobody else sees another
establishment's sets; a bad output is refused whole, naming its field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.backups.support import make_set, restic_repo
from vigie.api.tokens import create_token
from vigie.audit.models import AuditEvent
from vigie.backups.actions import MAX_STATUS_BYTES
from vigie.backups.models import IntegrityCheck, Snapshot
from vigie.tenancy.models import Organisation

pytestmark = pytest.mark.django_db

ENGLISH = {"Accept-Language": "en"}


def _client(user: Any, scope: str = "write") -> Client:
    _token, secret = create_token(user=user, name="backup script", scope=scope)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}", headers=ENGLISH)


def _status_url(slug: str, set_id: int) -> str:
    return f"/api/v1/organisations/{slug}/backups/{set_id}/status"


def _post(client: Client, slug: str, set_id: int, **body: Any) -> Any:
    return client.post(_status_url(slug, set_id), body, content_type="application/json")


def _snapshots_json(tmp_path: Path, backups: int = 2) -> str:
    repo = restic_repo(tmp_path, backups=backups)
    listed = repo.run("restic", "snapshots", "--json")
    assert listed.returncode == 0, listed.stderr
    return listed.stdout


def test_a_member_lists_the_sets_with_their_findings(
    est_a: Organisation, est_b: Organisation, a_viewer: Any
) -> None:
    backup_set = make_set(est_a, system="Dossier patient")
    make_set(est_b, system="PACS de B")
    response = _client(a_viewer, "read").get(f"/api/v1/organisations/{est_a.slug}/backups")
    assert response.status_code == 200, response.content
    (row,) = response.json()
    assert (row["id"], row["system"], row["tool"]) == (backup_set.pk, "Dossier patient", "restic")
    assert row["last_backup"] is None
    assert row["rule_met"] is False
    codes = {f["code"] for f in row["findings"]}
    assert "never_backed_up" in codes
    assert all(f["text"] for f in row["findings"])


def test_real_restic_snapshots_are_stored_from_the_api(
    est_a: Organisation, a_admin: Any, tmp_path: Path
) -> None:
    output = _snapshots_json(tmp_path)
    backup_set = make_set(est_a)
    response = _post(_client(a_admin), est_a.slug, backup_set.pk, output=output)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "tool": "restic",
        "kind": "snapshots",
        "snapshots_new": 2,
        "snapshots_known": 0,
        "checks": 0,
    }
    ids = {s["id"][:8] for s in json.loads(output)}
    assert set(backup_set.snapshots.values_list("tool_id", flat=True)) == ids
    assert set(backup_set.snapshots.values_list("source", flat=True)) == {"api"}
    event = AuditEvent.objects.get(action="backup.status_ingested")
    assert event.details["source"] == "api"
    listed = _client(a_admin, "read").get(f"/api/v1/organisations/{est_a.slug}/backups")
    assert listed.json()[0]["last_backup"] is not None


def test_a_real_restic_check_is_stored_with_its_exit_code(
    est_a: Organisation, a_admin: Any, tmp_path: Path
) -> None:
    repo = restic_repo(tmp_path, backups=1)
    check = repo.run("restic", "check")
    backup_set = make_set(est_a)
    response = _post(
        _client(a_admin),
        est_a.slug,
        backup_set.pk,
        kind="check",
        output=check.stdout + check.stderr,
        exit_code=check.returncode,
        source="sensor",
    )
    assert response.status_code == 200, response.content
    assert response.json()["checks"] == 1
    stored = IntegrityCheck.objects.get(backup_set=backup_set)
    assert (stored.ok, stored.exit_code, stored.source) == (True, 0, "sensor")


def test_the_same_output_sent_twice_is_stored_once(
    est_a: Organisation, a_admin: Any, tmp_path: Path
) -> None:
    output = _snapshots_json(tmp_path)
    backup_set = make_set(est_a)
    client = _client(a_admin)
    first = _post(client, est_a.slug, backup_set.pk, output=output)
    again = _post(client, est_a.slug, backup_set.pk, output=output)
    assert first.status_code == again.status_code == 200
    assert again.json()["snapshots_new"] == 0
    assert again.json()["snapshots_known"] == 2
    assert Snapshot.objects.count() == 2


def test_a_read_token_cannot_send_a_status(
    est_a: Organisation, a_admin: Any, tmp_path: Path
) -> None:
    output = _snapshots_json(tmp_path, backups=1)
    backup_set = make_set(est_a)
    response = _post(_client(a_admin, "read"), est_a.slug, backup_set.pk, output=output)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    assert not Snapshot.objects.exists()


def test_a_viewer_cannot_send_a_status_even_with_a_write_token(
    est_a: Organisation, a_viewer: Any, tmp_path: Path
) -> None:
    output = _snapshots_json(tmp_path, backups=1)
    backup_set = make_set(est_a)
    response = _post(_client(a_viewer), est_a.slug, backup_set.pk, output=output)
    assert response.status_code == 403, response.content
    assert not Snapshot.objects.exists()
    assert not AuditEvent.objects.filter(action="backup.status_ingested").exists()


def test_another_establishments_set_or_slug_answers_like_a_missing_one(
    est_a: Organisation, est_b: Organisation, a_admin: Any, tmp_path: Path
) -> None:
    output = _snapshots_json(tmp_path, backups=1)
    theirs = make_set(est_b)
    client = _client(a_admin)
    missing_set = _post(client, est_a.slug, theirs.pk + 1000, output=output)
    their_set = _post(client, est_a.slug, theirs.pk, output=output)
    assert missing_set.status_code == their_set.status_code == 404
    assert missing_set.content == their_set.content
    missing_slug = _post(client, "no-such-place", theirs.pk, output=output)
    their_slug = _post(client, est_b.slug, theirs.pk, output=output)
    assert missing_slug.status_code == their_slug.status_code == 404
    assert missing_slug.content == their_slug.content
    listed_missing = client.get("/api/v1/organisations/no-such-place/backups")
    listed_theirs = client.get(f"/api/v1/organisations/{est_b.slug}/backups")
    assert listed_missing.status_code == listed_theirs.status_code == 404
    assert listed_missing.content == listed_theirs.content
    assert not Snapshot.objects.exists()


def test_the_centre_has_no_backups_endpoint(
    centre: Organisation, centre_analyst: Any, est_a: Organisation
) -> None:
    response = _client(centre_analyst, "read").get(f"/api/v1/organisations/{centre.slug}/backups")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (
            {"output": '[{"id": "abc", "time": "2026-01-01T00:00:00Z"},\n {"id": "d", "time": 3}]'},
            "output",
            ["line 2", "[1].time"],
        ),
        ({"output": '[{"id": "abc", "ti'}, "output", ["line 1"]),
        ({"output": ""}, "output", []),
        ({"output": "Hello", "kind": "snapshots"}, "output", []),
        ({"output": "no errors were found", "kind": "check"}, "exit_code", []),
        ({"output": "[]", "tool": "borg"}, "tool", ["restic"]),
        ({"output": "[]", "tool": "<script>"}, "tool", []),
        ({"output": "[]", "exit_code": 999}, "exit_code", []),
        ({"kind": "snapshots"}, "output", []),
    ],
)
def test_a_malformed_status_is_a_422_naming_the_field(
    est_a: Organisation, a_admin: Any, body: dict[str, Any], field: str, words: list[str]
) -> None:
    backup_set = make_set(est_a)
    response = _post(_client(a_admin), est_a.slug, backup_set.pk, **body)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert field in error["fields"], error
    text = " ".join(str(m) for m in error["fields"][field])
    for word in words:
        assert word in text, text
    assert "Traceback" not in response.content.decode()
    assert not Snapshot.objects.exists()
    assert not IntegrityCheck.objects.exists()


def test_a_malformed_output_after_good_snapshots_stores_none_of_them(
    est_a: Organisation, a_admin: Any, tmp_path: Path
) -> None:
    snapshots = json.loads(_snapshots_json(tmp_path))
    snapshots.append({"id": "broken", "time": "yesterday"})
    backup_set = make_set(est_a)
    response = _post(_client(a_admin), est_a.slug, backup_set.pk, output=json.dumps(snapshots))
    assert response.status_code == 422
    assert "output" in response.json()["error"]["fields"]
    assert not Snapshot.objects.exists()


def test_an_oversize_output_is_refused(est_a: Organisation, a_admin: Any) -> None:
    backup_set = make_set(est_a)
    response = _post(
        _client(a_admin), est_a.slug, backup_set.pk, output="[" + " " * MAX_STATUS_BYTES + "]"
    )
    assert response.status_code in (413, 422), response.status_code
    assert set(response.json()) == {"error"}
    assert "Traceback" not in response.content.decode()
    assert not Snapshot.objects.exists()
    assert not AuditEvent.objects.filter(action="backup.status_ingested").exists()


def test_without_a_token_the_api_asks_for_one(est_a: Organisation) -> None:
    backup_set = make_set(est_a)
    response = Client().post(
        _status_url(est_a.slug, backup_set.pk), {"output": "[]"}, content_type="application/json"
    )
    assert response.status_code == 401

"""Evidence files: stored outside the web root under a random name with their SHA-256, size
limited, names made harmless, only ever downloaded, never another establishment's."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.helpers import signed_in
from tests.incidents.support import declare_directly
from vigie.audit.models import AuditEvent
from vigie.incidents.actions import evidence_path, safe_name
from vigie.incidents.models import Evidence
from vigie.tenancy.models import Organisation

pytestmark = pytest.mark.django_db

RANSOM_NOTE = b"<html><script>alert('pwned')</script>Your files are encrypted.</html>"


@pytest.fixture(autouse=True)
def _evidence_dir(settings: Any, tmp_path: Path) -> Path:
    settings.VIGIE_EVIDENCE_DIR = tmp_path / "evidence"
    return settings.VIGIE_EVIDENCE_DIR


def _upload(client: Any, url: str, name: str, content: bytes) -> Any:
    return client.post(
        url,
        {
            "file": SimpleUploadedFile(name, content, content_type="text/html"),
            "description": "note",
        },
        follow=True,
    )


def test_a_file_is_stored_with_its_hash_outside_the_web_root_and_only_downloaded(
    a_admin: Any, est_a: Organisation, settings: Any
) -> None:
    incident = declare_directly(est_a)
    client = signed_in(a_admin)
    _upload(client, f"/o/{est_a.slug}/incidents/{incident.pk}/evidence/", "note.html", RANSOM_NOTE)
    evidence = Evidence.objects.get(incident=incident)
    assert evidence.sha256 == hashlib.sha256(RANSOM_NOTE).hexdigest()
    assert evidence.size == len(RANSOM_NOTE)
    stored = evidence_path(evidence)
    assert stored.read_bytes() == RANSOM_NOTE
    assert Path(settings.VIGIE_EVIDENCE_DIR) in stored.parents
    assert Path(settings.STATIC_ROOT) not in stored.parents
    assert evidence.stored_as != "note.html"
    assert "note" not in stored.name
    assert stored.stat().st_mode & 0o077 == 0
    response = client.get(f"/o/{est_a.slug}/incidents/{incident.pk}/evidence/{evidence.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == RANSOM_NOTE
    assert AuditEvent.objects.filter(action="incident.evidence_downloaded").count() == 1


def test_a_file_over_the_limit_is_refused_and_leaves_nothing(
    a_admin: Any, est_a: Organisation, settings: Any
) -> None:
    settings.VIGIE_EVIDENCE_MAX_BYTES = 1024
    incident = declare_directly(est_a)
    response = _upload(
        signed_in(a_admin),
        f"/o/{est_a.slug}/incidents/{incident.pk}/evidence/",
        "disk.img",
        b"x" * 2048,
    )
    assert "1.0\xa0KB" in response.content.decode() or "1,0" in response.content.decode()
    assert not Evidence.objects.exists()
    folder = Path(settings.VIGIE_EVIDENCE_DIR) / str(est_a.pk)
    assert list(folder.iterdir()) == []


def test_an_empty_file_is_refused(a_admin: Any, est_a: Organisation) -> None:
    incident = declare_directly(est_a)
    response = _upload(
        signed_in(a_admin), f"/o/{est_a.slug}/incidents/{incident.pk}/evidence/", "empty.log", b""
    )
    assert response.status_code == 200
    assert not Evidence.objects.exists()


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\rssi\\ransom.txt", "ransom.txt"),
        ('<img src=x onerror="alert(1)">.html', "_img src_x onerror__alert(1)__.html"),
        ("\u202eexe.txt", "_exe.txt"),
        ("...", "evidence"),
    ],
)
def test_hostile_file_names_are_made_harmless(given: str, kept: str) -> None:
    assert safe_name(given) == kept


def test_another_establishment_cannot_upload_or_download(
    a_admin: Any, b_admin: Any, est_a: Organisation, est_b: Organisation
) -> None:
    incident = declare_directly(est_a)
    _upload(signed_in(a_admin), f"/o/{est_a.slug}/incidents/{incident.pk}/evidence/", "a.txt", b"a")
    evidence = Evidence.objects.get()
    theirs = signed_in(b_admin)
    assert (
        theirs.get(f"/o/{est_b.slug}/incidents/{incident.pk}/evidence/{evidence.pk}/").status_code
        == 404
    )
    response = theirs.post(
        f"/o/{est_b.slug}/incidents/{incident.pk}/evidence/",
        {"file": SimpleUploadedFile("b.txt", b"b")},
    )
    assert response.status_code == 404
    assert Evidence.objects.count() == 1


def test_a_viewer_cannot_add_evidence(a_viewer: Any, est_a: Organisation) -> None:
    incident = declare_directly(est_a)
    _upload(
        signed_in(a_viewer), f"/o/{est_a.slug}/incidents/{incident.pk}/evidence/", "v.txt", b"v"
    )
    assert not Evidence.objects.exists()

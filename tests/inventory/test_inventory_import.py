"""Inventory import through the pages and the API: preview, errors per row, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from vigie.api.tokens import create_token
from vigie.audit.models import AuditEvent
from vigie.inventory.models import Asset, InventoryImport
from vigie.tenancy.models import Organisation

REPO = Path(__file__).resolve().parents[2]
SBOM = REPO / "tests" / "data" / "inventory" / "extended.sbom.json"
SPDX = REPO / "tests" / "data" / "inventory" / "medical-device.spdx.json"
HEADER = "id,name,kind,vendor,product,version,cpe,purl,parent,criticality,exposure,location\n"
GOOD = HEADER + (
    "host-1,Serveur PACS,server,Orthanc,Orthanc,1.12.1,"
    "cpe:2.3:a:orthanc-server:orthanc:1.12.1:*:*:*:*:*:*:*,,,clinical,internal,Imagerie\n"
    "lib-1,DCMTK,library,OFFIS,DCMTK,3.6.6,,,host-1,CLINICAL,Internal,Imagerie\n"
)


def upload(client: Client, content: bytes | str, name: str = "inventory.csv", **extra: str) -> Any:
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        "/o/chu-alpha/inventory/import/",
        {"file": SimpleUploadedFile(name, data, content_type="text/csv"), **extra},
    )


def test_csv_upload_shows_a_preview_then_commits_with_parents(
    a_admin: Any, client_for: Any
) -> None:
    client = client_for(a_admin)
    response = upload(client, GOOD)
    assert response.status_code == 302
    job = InventoryImport.objects.get()
    assert job.state == "preview"
    assert job.summary["new"] == 2
    assert not Asset.objects.exists()  # nothing written before confirmation
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="import-new">2<' in page
    done = client.post(f"/o/chu-alpha/inventory/import/{job.pk}/commit/")
    assert done.status_code == 302
    lib = Asset.objects.get(external_id="lib-1")
    assert lib.parent is not None
    assert lib.parent.external_id == "host-1"
    assert lib.criticality == "clinical"
    assert AuditEvent.objects.filter(action="inventory.imported").exists()


def test_trees_listed_children_first_get_every_parent_including_stored_ones(
    a_admin: Any, client_for: Any
) -> None:
    client = client_for(a_admin)
    upload(client, GOOD)
    client.post(f"/o/chu-alpha/inventory/import/{InventoryImport.objects.get().pk}/commit/")
    # Grandchild before child before device; agent-1 hangs under host-1, already stored.
    deep = GOOD + (
        "app-1,Console,application,BD,Alaris,1.0,,,fw-1,,,\n"
        "fw-1,Firmware,firmware,BD,Alaris firmware,9.19,,,pump-1,,,\n"
        "pump-1,Pompe,medical-device,BD,Alaris,,,,,life-sustaining,internal,Réa\n"
        "agent-1,Agent,application,Acme,Agent,2.0,,,host-1,,,\n"
    )
    upload(client, deep, name="deep.csv")
    job = InventoryImport.objects.filter(state="preview").get()
    assert client.post(f"/o/chu-alpha/inventory/import/{job.pk}/commit/").status_code == 302
    parents = {
        a.external_id: a.parent.external_id if a.parent else None for a in Asset.objects.all()
    }
    assert parents == {
        "host-1": None,
        "lib-1": "host-1",
        "app-1": "fw-1",
        "fw-1": "pump-1",
        "pump-1": None,
        "agent-1": "host-1",
    }


def test_reimport_updates_instead_of_duplicating(a_admin: Any, client_for: Any) -> None:
    client = client_for(a_admin)
    upload(client, GOOD)
    client.post(f"/o/chu-alpha/inventory/import/{InventoryImport.objects.get().pk}/commit/")
    upload(client, GOOD.replace("1.12.1", "1.12.4"))
    job = InventoryImport.objects.filter(state="preview").get()
    assert job.summary == {**job.summary, "new": 0, "updated": 1, "unchanged": 1}
    client.post(f"/o/chu-alpha/inventory/import/{job.pk}/commit/")
    assert Asset.objects.count() == 2
    assert Asset.objects.get(external_id="host-1").version == "1.12.4"


def test_file_with_errors_is_refused_whole_with_line_and_field(
    a_admin: Any, client_for: Any
) -> None:
    client = client_for(a_admin)
    bad = GOOD + "pump,Pompe,spaceship,BD,Alaris,1,,,ghost,vital,internal,Réa\n"
    response = upload(client, bad)
    job = InventoryImport.objects.get()
    assert job.state == "invalid"
    fields = {(e["line"], e["field"]) for e in job.errors}
    assert (4, "kind") in fields
    assert (4, "parent") in fields
    assert (4, "criticality") in fields
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="import-error-table"' in page
    assert client.post(f"/o/chu-alpha/inventory/import/{job.pk}/commit/").status_code == 302
    assert not Asset.objects.exists()


def test_hostile_and_binary_files_are_refused_with_a_clear_message(
    a_admin: Any, client_for: Any
) -> None:
    client = client_for(a_admin)
    upload(client, b"\x89PNG\r\n\x1a\n\x00\x00binary", name="photo.csv")
    job = InventoryImport.objects.get()
    assert job.state == "invalid"
    assert "photo.csv" in job.errors[0]["file"]
    formula = HEADER + '=cmd|"/c calc"!A1,<script>alert(1)</script>,server,,,,,,,,,\n'
    upload(client, formula, name="formula.csv")
    preview = InventoryImport.objects.latest("created_at")
    page = client.get(f"/o/chu-alpha/inventory/import/{preview.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page


def test_oversized_inventory_is_refused(a_admin: Any, client_for: Any, settings: Any) -> None:
    settings.VIGIE_MAX_INVENTORY_BYTES = 200
    response = upload(client_for(a_admin), GOOD * 5)
    assert response.status_code == 200
    assert "larger than" in response.content.decode() or "plus grand" in response.content.decode()
    assert not InventoryImport.objects.exists()


def test_cyclonedx_medical_device_sbom_imports_with_its_component_tree(
    a_admin: Any, client_for: Any
) -> None:
    client = client_for(a_admin)
    response = upload(client, SBOM.read_bytes(), name="device.cdx.json", medical_device="on")
    job = InventoryImport.objects.get()
    assert job.state == "preview", job.errors
    assert job.file_format == "cyclonedx"
    client.post(f"/o/chu-alpha/inventory/import/{job.pk}/commit/")
    assert Asset.objects.filter(kind="medical-device").count() == 1
    assert Asset.objects.filter(parent__isnull=False).count() > 10
    assert Asset.objects.exclude(cpes=[]).count() > 10
    del response


def test_spdx_sbom_imports(a_admin: Any, client_for: Any) -> None:
    upload(client_for(a_admin), SPDX.read_bytes(), name="device.spdx.json")
    job = InventoryImport.objects.get()
    assert job.state == "preview", job.errors
    assert job.file_format == "spdx"


def test_viewer_cannot_import(a_viewer: Any, client_for: Any) -> None:
    assert upload(client_for(a_viewer), GOOD).status_code == 403


def test_api_preview_and_commit(a_admin: Any) -> None:
    _token, secret = create_token(user=a_admin, name="cmdb sync", scope="write")
    headers = {"Authorization": f"Bearer {secret}"}
    bad = Client().post(
        "/api/v1/organisations/chu-alpha/inventory/imports",
        {"file": SimpleUploadedFile("inv.csv", (GOOD + "x,y,nope,,,,,,,,,\n").encode())},
        headers=headers,
    )
    assert bad.status_code == 422
    body = bad.json()
    assert body["state"] == "invalid"
    assert body["errors"][0]["line"] == 4
    assert body["errors"][0]["field"] == "kind"
    ok = Client().post(
        "/api/v1/organisations/chu-alpha/inventory/imports",
        {"file": SimpleUploadedFile("inv.csv", GOOD.encode()), "commit": "true"},
        headers=headers,
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["committed"]["created"] == 2
    listed = Client().get("/api/v1/organisations/chu-alpha/assets?kind=library", headers=headers)
    assert [a["external_id"] for a in listed.json()["items"]] == ["lib-1"]
    assert listed.json()["items"][0]["parent"] == "host-1"


def test_read_only_token_cannot_import(a_admin: Any) -> None:
    _token, secret = create_token(user=a_admin, name="reader", scope="read")
    response = Client().post(
        "/api/v1/organisations/chu-alpha/inventory/imports",
        {"file": SimpleUploadedFile("inv.csv", GOOD.encode())},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 403


def test_asset_edit_suggests_and_confirms_a_cpe(
    a_admin: Any, client_for: Any, est_a: Organisation
) -> None:
    client = client_for(a_admin)
    created = client.post(
        "/o/chu-alpha/inventory/assets/new/",
        {
            "external_id": "ssl-1",
            "name": "OpenSSL",
            "kind": "library",
            "vendor": "OpenSSL",
            "product": "OpenSSL",
            "version": "1.0.2k",
            "cpes": "",
            "purls": "",
        },
    )
    assert created.status_code == 302
    asset = Asset.objects.get(external_id="ssl-1")
    page = client.get(f"/o/chu-alpha/inventory/assets/{asset.pk}/").content.decode()
    assert "openssl:openssl" in page
    client.post(
        f"/o/chu-alpha/inventory/assets/{asset.pk}/cpe/",
        {"part": "a", "vendor": "openssl", "product": "openssl"},
    )
    asset.refresh_from_db()
    assert asset.cpes == ["cpe:2.3:a:openssl:openssl:1.0.2k:*:*:*:*:*:*:*"]


def test_invalid_cpe_in_the_form_is_reported_on_the_field(a_admin: Any, client_for: Any) -> None:
    response = client_for(a_admin).post(
        "/o/chu-alpha/inventory/assets/new/",
        {"external_id": "x", "name": "X", "kind": "server", "cpes": "cpe:2.3:a:broken"},
    )
    assert response.status_code == 200
    assert 'id="id_cpes_error"' in response.content.decode()


def test_inventory_csv_export_neutralises_formulas(
    a_admin: Any, client_for: Any, est_a: Organisation
) -> None:
    Asset.objects.create(organisation=est_a, external_id="f1", name="=HYPERLINK(1)", kind="server")
    response = client_for(a_admin).get("/o/chu-alpha/inventory/?format=csv")
    content = b"".join(response.streaming_content).decode()
    assert "'=HYPERLINK(1)" in content
    assert content.splitlines()[0] == HEADER.strip()

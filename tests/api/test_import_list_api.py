"""GET /api/v1/organisations/{slug}/inventory/imports: newest first, paged, one establishment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.test import Client

from vigie.api.tokens import create_token
from vigie.inventory.models import InventoryImport
from vigie.tenancy.models import Organisation

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _headers(user: Any) -> dict[str, str]:
    _token, secret = create_token(user=user, name="ci")
    return {"Authorization": f"Bearer {secret}"}


def _imports(org: Organisation, count: int, *, user: Any = None) -> list[InventoryImport]:
    made = InventoryImport.objects.bulk_create(
        InventoryImport(
            organisation=org,
            uploaded_by=user,
            file_name=f"{org.slug}-{n:03d}.csv",
            file_format="csv",
            file_sha256="0" * 64,
            state="committed",
            records=[{"id": "big"}],
            summary={"rows": 10, "new": n, "updated": 2, "unchanged": 7, "errors": 0},
        )
        for n in range(count)
    )
    for n, job in enumerate(made):
        job.created_at = START - timedelta(hours=n // 2)
    InventoryImport.objects.bulk_update(made, ["created_at"])
    return made


def _get(user: Any, slug: str, query: str = "") -> Any:
    return Client().get(
        f"/api/v1/organisations/{slug}/inventory/imports{query}", headers=_headers(user)
    )


def test_import_pages_are_disjoint_complete_and_newest_first(
    est_a: Organisation, est_b: Organisation, a_viewer: Any
) -> None:
    mine = _imports(est_a, 23)
    _imports(est_b, 5)
    seen = []
    for page in (1, 2, 3):
        response = _get(a_viewer, est_a.slug, f"?page={page}&page_size=10")
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 23
        seen += body["items"]
    expected = sorted(mine, key=lambda j: (j.created_at, j.pk), reverse=True)
    assert [item["id"] for item in seen] == [str(j.pk) for j in expected]


def test_import_item_has_file_who_state_and_counts_but_not_the_records(
    est_a: Organisation, a_admin: Any
) -> None:
    _imports(est_a, 1, user=a_admin)
    item = _get(a_admin, est_a.slug).json()["items"][0]
    assert item["file_name"] == f"{est_a.slug}-000.csv"
    assert item["format"] == "csv"
    assert item["uploaded_by"] == a_admin.username
    assert item["state"] == "committed"
    assert item["summary"] == {"rows": 10, "new": 0, "updated": 2, "unchanged": 7, "errors": 0}
    assert item["created_at"].startswith("2026-03-01T12:00:00")
    assert "records" not in item


def test_another_establishments_imports_are_invisible(
    est_a: Organisation, est_b: Organisation, a_viewer: Any, b_admin: Any
) -> None:
    _imports(est_a, 2)
    theirs = _imports(est_b, 3)
    body = _get(a_viewer, est_a.slug).json()
    assert body["count"] == 2
    assert not {item["id"] for item in body["items"]} & {str(j.pk) for j in theirs}
    response = _get(a_viewer, est_b.slug)
    assert response.status_code == 404
    assert "error" in response.json()
    assert _get(b_admin, est_b.slug).json()["count"] == 3


def test_import_list_requires_authentication(est_a: Organisation) -> None:
    response = Client().get(f"/api/v1/organisations/{est_a.slug}/inventory/imports")
    assert response.status_code == 401

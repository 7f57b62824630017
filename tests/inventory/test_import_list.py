"""The inventory imports page: newest first, paged by keyset, counts shown, one establishment."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

from django.test import Client

from tests.helpers import signed_in
from vigie.inventory.models import InventoryImport
from vigie.tenancy.models import Organisation

ROW = re.compile(r'data-import="([0-9a-f-]+)"')
NEXT = re.compile(r'<a href="\?([^"]+)" rel="next"')
PREV = re.compile(r'<a href="\?([^"]*)" rel="prev"')

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _imports(org: Organisation, count: int, *, user: Any = None) -> list[InventoryImport]:
    made = InventoryImport.objects.bulk_create(
        InventoryImport(
            organisation=org,
            uploaded_by=user,
            file_name=f"{org.slug}-{n:03d}.csv",
            file_format="csv",
            file_sha256="0" * 64,
            state="committed",
            summary={"rows": 10, "new": n, "updated": 2, "unchanged": 7, "errors": 0},
        )
        for n in range(count)
    )
    # Pairs imported at the same instant: the id breaks the tie without losing or repeating one.
    for n, job in enumerate(made):
        job.created_at = START - timedelta(hours=n // 2)
    InventoryImport.objects.bulk_update(made, ["created_at"])
    return made


def _page(client: Client, org: str, query: str) -> tuple[list[str], str | None, str | None, str]:
    response = client.get(f"/o/{org}/inventory/imports/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    following, previous = NEXT.search(html), PREV.search(html)
    return (
        ROW.findall(html),
        unescape(following.group(1)) if following else None,
        unescape(previous.group(1)) if previous else None,
        html,
    )


def test_following_next_links_lists_every_import_once_newest_first(
    est_a: Organisation, est_b: Organisation, a_viewer: Any
) -> None:
    mine = _imports(est_a, 123)
    _imports(est_b, 20)
    client = signed_in(a_viewer)
    pages: list[list[str]] = []
    query: str | None = ""
    while query is not None:
        rows, following, _previous, _html = _page(client, est_a.slug, query)
        pages.append(rows)
        if following is not None:
            assert "after=" in following
        query = following
    assert [len(rows) for rows in pages] == [50, 50, 23]
    expected = [str(j.pk) for j in sorted(mine, key=lambda j: (j.created_at, j.pk), reverse=True)]
    assert [pk for rows in pages for pk in rows] == expected


def test_previous_link_from_the_third_page_shows_the_second(
    est_a: Organisation, a_viewer: Any
) -> None:
    _imports(est_a, 130)
    client = signed_in(a_viewer)
    _first, following, *_ = _page(client, est_a.slug, "")
    second, following, *_ = _page(client, est_a.slug, following or "")
    _third, _following, previous, _html = _page(client, est_a.slug, following or "")
    assert previous is not None
    assert "before=" in previous
    back, *_ = _page(client, est_a.slug, previous)
    assert back == second


def test_import_row_shows_file_who_counts_and_state(est_a: Organisation, a_admin: Any) -> None:
    InventoryImport.objects.create(
        organisation=est_a,
        uploaded_by=a_admin,
        file_name="export-gmao.csv",
        file_sha256="0" * 64,
        state="committed",
        summary={"rows": 1340, "new": 1203, "updated": 17, "unchanged": 120, "errors": 0},
    )
    InventoryImport.objects.create(
        organisation=est_a,
        file_name="broken.csv",
        file_sha256="0" * 64,
        state="invalid",
        summary={"rows": 4, "errors": 3, "warnings": 0},
    )
    client = signed_in(a_admin)
    client.cookies["django_language"] = "en"
    html = client.get(f"/o/{est_a.slug}/inventory/imports/", HTTP_ACCEPT_LANGUAGE="en").content
    text = html.decode()
    assert "export-gmao.csv" in text
    assert a_admin.username in text
    assert "1,203" in text
    assert "Imported" in text
    # A refused file was never compared with the inventory: no new/updated/unchanged figures.
    broken = text[text.index("broken.csv") :]
    assert "Refused: errors in the file" in broken
    assert '<span class="status bad">3</span>' in broken


def test_dates_are_shown_in_the_readers_time_zone(est_a: Organisation, a_admin: Any) -> None:
    a_admin.time_zone = "Pacific/Noumea"  # UTC+11
    a_admin.save(update_fields=["time_zone"])
    _imports(est_a, 1)
    html = signed_in(a_admin).get(f"/o/{est_a.slug}/inventory/imports/").content.decode()
    assert 'datetime="2026-03-01T23:00:00+11:00"' in html


def test_page_is_in_french_for_a_french_reader(est_a: Organisation, a_viewer: Any) -> None:
    _imports(est_a, 1)
    client = signed_in(a_viewer)
    html = client.get(
        f"/o/{est_a.slug}/inventory/imports/", HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "Imports d’inventaire" in html
    assert "Inchangés" in html


def test_other_establishments_imports_are_not_listed_and_their_list_is_refused(
    est_a: Organisation, est_b: Organisation, a_viewer: Any
) -> None:
    _imports(est_a, 3)
    theirs = _imports(est_b, 3)
    client = signed_in(a_viewer)
    rows, *_rest, html = _page(client, est_a.slug, "")
    assert len(rows) == 3
    assert not {str(j.pk) for j in theirs} & set(rows)
    assert est_b.slug not in html
    assert client.get(f"/o/{est_b.slug}/inventory/imports/").status_code == 404


def test_import_page_links_to_the_imports_list(est_a: Organisation, a_admin: Any) -> None:
    html = signed_in(a_admin).get(f"/o/{est_a.slug}/inventory/import/").content.decode()
    assert f'href="/o/{est_a.slug}/inventory/imports/"' in html

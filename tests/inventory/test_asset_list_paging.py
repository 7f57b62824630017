"""The inventory list pages in the database: keyset links, filters kept, no row lost or repeated."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from django.test import Client
from django.utils import timezone

from tests.helpers import signed_in
from vigie.inventory.models import Asset
from vigie.tenancy.models import Organisation
from vigie.vulns.models import Alert, AlertAsset, Vulnerability

ROW = re.compile(r'href="/o/[-a-z0-9]+/inventory/assets/(\d+)/"')
NEXT = re.compile(r'<a href="\?([^"]+)" rel="next"')
PREV = re.compile(r'<a href="\?([^"]*)" rel="prev"')
RANGE = re.compile(r'data-testid="page-range">([^<]*)<')


def _range(html: str) -> list[str]:
    """The numbers of "51–100 of 120", whatever the language."""
    found = RANGE.search(html)
    assert found is not None
    return re.findall(r"\d+", found.group(1))


def _assets(org: Organisation, count: int, **fields: Any) -> list[Asset]:
    # Few distinct names: pages must split runs of equal names without losing or repeating one.
    return Asset.objects.bulk_create(
        Asset(organisation=org, external_id=f"{org.slug}-{n}", name=f"Pompe {n % 7}", **fields)
        for n in range(count)
    )


def _page(client: Client, query: str) -> tuple[list[int], str | None, str | None, str]:
    response = client.get(f"/o/chu-alpha/inventory/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    following = NEXT.search(html)
    previous = PREV.search(html)
    return (
        [int(pk) for pk in ROW.findall(html)],
        unescape(following.group(1)) if following else None,
        unescape(previous.group(1)) if previous else None,
        html,
    )


def _walk(client: Client, first: str) -> list[list[int]]:
    pages = []
    query: str | None = first
    while query is not None:
        rows, following, _previous, _html = _page(client, query)
        pages.append(rows)
        query = following
    return pages


def test_following_next_links_lists_every_asset_once_in_name_order(
    est_a: Organisation, est_b: Organisation, a_viewer: Any
) -> None:
    mine = _assets(est_a, 123)
    _assets(est_b, 30)
    pages = _walk(signed_in(a_viewer), "")
    assert [len(rows) for rows in pages] == [50, 50, 23]
    listed = [pk for rows in pages for pk in rows]
    expected = [a.pk for a in sorted(mine, key=lambda a: (a.name, a.pk))]
    assert listed == expected


def test_second_page_by_link_is_the_second_page_by_number(
    est_a: Organisation, a_viewer: Any
) -> None:
    _assets(est_a, 120)
    client = signed_in(a_viewer)
    _rows, following, _previous, _html = _page(client, "")
    assert following is not None
    assert "after=" in following
    by_link, _next, previous, html = _page(client, following)
    by_number, *_rest = _page(client, "page=2")
    assert by_link == by_number
    assert _range(html) == ["51", "100", "120"]
    # Back from the second page: the first page, with no cursor left in the link.
    assert previous == ""


def test_previous_link_from_the_third_page_shows_the_second(
    est_a: Organisation, a_viewer: Any
) -> None:
    _assets(est_a, 160)
    client = signed_in(a_viewer)
    _first, following, *_ = _page(client, "")
    second, following, *_ = _page(client, following or "")
    _third, _following, previous, _html = _page(client, following or "")
    assert previous is not None
    assert "before=" in previous
    back, _next, previous_of_back, html = _page(client, previous)
    assert back == second
    assert _range(html) == ["51", "100", "160"]
    assert previous_of_back == ""


def test_filters_are_kept_in_the_paging_links(est_a: Organisation, a_viewer: Any) -> None:
    _assets(est_a, 70, kind="server", location="Réanimation")
    Asset.objects.bulk_create(
        Asset(organisation=est_a, external_id=f"ws-{n}", name=f"Poste {n}", kind="workstation")
        for n in range(40)
    )
    client = signed_in(a_viewer)
    pages = _walk(client, "kind=server&location=R%C3%A9animation")
    assert [len(rows) for rows in pages] == [50, 20]
    listed = [pk for rows in pages for pk in rows]
    assert set(Asset.objects.filter(pk__in=listed).values_list("kind", flat=True)) == {"server"}
    _rows, following, _previous, html = _page(client, "kind=server")
    assert following is not None
    assert "kind=server" in following
    assert _range(html) == ["1", "50", "70"]


def test_a_tampered_cursor_is_ignored_for_the_page_number(
    est_a: Organisation, a_viewer: Any
) -> None:
    _assets(est_a, 60)
    client = signed_in(a_viewer)
    by_number, *_ = _page(client, "page=2")
    tampered, *_ = _page(client, "after=not-a-cursor&page=2")
    assert len(tampered) == 10
    assert tampered == by_number


def test_open_alerts_are_counted_for_the_assets_of_the_page(
    est_a: Organisation, a_viewer: Any
) -> None:
    pump = Asset.objects.create(organisation=est_a, external_id="p", name="Aaa pompe")
    now = timezone.now()
    for n, state in enumerate(["new", "acknowledged", "resolved"]):
        vuln = Vulnerability.objects.create(vuln_id=f"CVE-2024-000{n}")
        alert = Alert.objects.create(
            organisation=est_a,
            vulnerability=vuln,
            state=state,
            priority="act",
            first_seen=now,
            state_changed_at=now,
        )
        AlertAsset.objects.create(
            alert=alert,
            asset=pump,
            source="nvd",
            confidence="high",
            reason="r",
            priority="act",
            first_seen=now,
            last_seen=now,
        )
    html = signed_in(a_viewer).get("/o/chu-alpha/inventory/").content.decode()
    assert '<span class="status bad">2</span>' in html

"""API lists page in the database: pages complete and disjoint, counts of the page's own rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from vigie.api.tokens import create_token
from vigie.inventory.models import Asset
from vigie.tenancy.models import Organisation
from vigie.vulns.models import Alert, AlertAsset, Vulnerability


def _headers(user: Any) -> dict[str, str]:
    _token, secret = create_token(user=user, name="ci")
    return {"Authorization": f"Bearer {secret}"}


def _alerts(org: Organisation, count: int, assets: list[Asset]) -> list[Alert]:
    now = timezone.now()
    made = []
    for n in range(count):
        vuln, _made = Vulnerability.objects.get_or_create(vuln_id=f"CVE-2024-{n:05d}")
        made.append(
            Alert.objects.create(
                organisation=org,
                vulnerability=vuln,
                priority="attend" if n % 2 else "track",
                # Pairs of alerts seen at the same instant: the id must break the tie.
                first_seen=now - timedelta(hours=n // 2),
                state_changed_at=now,
            )
        )
    for n, alert in enumerate(made):
        for asset in assets[: n % 4]:
            AlertAsset.objects.create(
                alert=alert,
                asset=asset,
                source="nvd",
                confidence="high",
                reason="r",
                priority=alert.priority,
                first_seen=now,
                last_seen=now,
                active=asset is not assets[2],
            )
    return made


def test_alert_pages_are_disjoint_complete_and_count_each_alerts_active_assets(
    est_a: Organisation, est_b: Organisation, a_viewer: Any
) -> None:
    assets = [
        Asset.objects.create(organisation=est_a, external_id=f"a{n}", name=f"a{n}")
        for n in range(3)
    ]
    made = _alerts(est_a, 23, assets)
    _alerts(
        est_b,
        4,
        [Asset.objects.create(organisation=est_b, external_id=f"b{n}", name="b") for n in range(3)],
    )
    headers = _headers(a_viewer)
    seen = []
    for page in (1, 2, 3):
        response = Client().get(
            f"/api/v1/organisations/chu-alpha/alerts?page={page}&page_size=10", headers=headers
        )
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 23
        seen += body["items"]
    assert [item["id"] for item in seen] == [
        a.pk for a in sorted(made, key=lambda a: (a.first_seen, a.pk), reverse=True)
    ]
    # Alert n affects the first n % 4 assets; the third asset's row is inactive.
    expected = {a.pk: min(n % 4, 2) for n, a in enumerate(made)}
    assert {item["id"]: item["affected_assets"] for item in seen} == expected


def test_priority_filter_applies_to_the_count_and_the_pages(
    est_a: Organisation, a_viewer: Any
) -> None:
    _alerts(est_a, 9, [])
    response = Client().get(
        "/api/v1/organisations/chu-alpha/alerts?priority=attend&page_size=3",
        headers=_headers(a_viewer),
    )
    body = response.json()
    assert body["count"] == 4
    assert len(body["items"]) == 3
    assert {item["priority"] for item in body["items"]} == {"attend"}


def test_asset_pages_split_equal_names_without_repeating_any(
    est_a: Organisation, a_viewer: Any
) -> None:
    made = Asset.objects.bulk_create(
        Asset(organisation=est_a, external_id=f"p{n}", name="Pompe") for n in range(25)
    )
    headers = _headers(a_viewer)
    ids = []
    for page in (1, 2, 3):
        response = Client().get(
            f"/api/v1/organisations/chu-alpha/assets?page={page}&page_size=10", headers=headers
        )
        ids += [item["id"] for item in response.json()["items"]]
    assert ids == sorted(a.pk for a in made)


def test_deep_asset_pages_read_by_ids_first_give_the_same_rows_in_the_same_order(
    est_a: Organisation, est_b: Organisation, a_viewer: Any
) -> None:
    from vigie.core.paging import DEEP_OFFSET

    total = DEEP_OFFSET + 60
    # Names that repeat and interleave, parents to join: the order is (name, id) throughout.
    parent = Asset.objects.create(organisation=est_a, external_id="hv", name="Hyperviseur")
    Asset.objects.bulk_create(
        Asset(organisation=est_a, external_id=f"d{n}", name=f"poste-{n % 7}", parent=parent)
        for n in range(total)
    )
    Asset.objects.bulk_create(
        Asset(organisation=est_b, external_id=f"x{n}", name="poste-0") for n in range(30)
    )
    expected = list(
        Asset.objects.filter(organisation=est_a).order_by("name", "pk").values_list("pk", flat=True)
    )
    headers = _headers(a_viewer)
    pages = {}
    for page in (DEEP_OFFSET // 50, DEEP_OFFSET // 50 + 1, DEEP_OFFSET // 50 + 2):
        body = (
            Client()
            .get(
                f"/api/v1/organisations/chu-alpha/assets?page={page}&page_size=50", headers=headers
            )
            .json()
        )
        assert body["count"] == total + 1
        pages[page] = body["items"]
    for page, items in pages.items():
        start = (page - 1) * 50
        assert [item["id"] for item in items] == expected[start : start + 50]
    deep = pages[DEEP_OFFSET // 50 + 1]
    assert {item["parent"] for item in deep} == {"hv"}

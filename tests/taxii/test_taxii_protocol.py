"""The TAXII 2.1 endpoints: authentication, media types, collections, pages and filters, POST."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.taxii.support import TAXII, basic, bearer, get, publish
from tests.vulns.support import access_of
from vigie.intel.models import Indicator, Tlp
from vigie.taxii.collections import collections_for
from vigie.tenancy.models import Organisation
from vigie.tenancy.roles import Role

pytestmark = pytest.mark.django_db

ROOT = "/taxii2/chu-alpha/"


def _collection_id(user: Any, org: Organisation, key: str) -> str:
    """The id of a collection as `user` sees it in its membership of `org`."""
    return next(c.id for c in collections_for(access_of(user, org)) if c.key == key)


def _est_a_collection(user: Any, key: str) -> str:
    return _collection_id(user, Organisation.objects.get(slug="chu-alpha"), key)


def _walk(path: str, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    """Every object of a collection, page by page, following `next`."""
    seen: list[dict[str, Any]] = []
    for _ in range(100):
        response = get(path, headers, **params)
        assert response.status_code == 200, response.content
        body = response.json()
        seen.extend(body.get("objects", []))
        if not body["more"]:
            return seen
        params["next"] = body["next"]
    raise AssertionError("pagination never ends")


def test_anonymous_requests_get_401_with_the_schemes_to_use(db: Any) -> None:
    for path in ("/taxii2/", ROOT, ROOT + "collections/"):
        response = Client().get(path, headers={"Accept": TAXII})
        assert response.status_code == 401
        assert response["Content-Type"] == TAXII
        assert "Basic" in response["WWW-Authenticate"]
        assert "Bearer" in response["WWW-Authenticate"]
        assert response.json()["http_status"] == "401"


def test_a_wrong_username_or_a_revoked_token_is_refused(a_admin: Any, b_admin: Any) -> None:
    headers = basic(a_admin)
    secret = headers["Authorization"]
    import base64

    pair = base64.b64decode(secret.split()[1]).decode().split(":", 1)[1]
    wrong = base64.b64encode(f"{b_admin.username}:{pair}".encode()).decode()
    response = get("/taxii2/", {"Authorization": f"Basic {wrong}", "Accept": TAXII})
    assert response.status_code == 401
    assert get("/taxii2/", {"Authorization": "Basic !!!", "Accept": TAXII}).status_code == 401
    assert get("/taxii2/", {"Authorization": "Bearer vgs_nope"}).status_code == 401


def test_discovery_lists_one_api_root_per_organisation_of_the_caller(
    a_admin: Any, est_b: Organisation
) -> None:
    from vigie.tenancy.models import Membership

    Membership.objects.create(user=a_admin, organisation=est_b, role=Role.VIEWER)
    for headers in (basic(a_admin), bearer(a_admin)):
        body = get("/taxii2/", headers).json()
        roots = {root.rsplit("/", 2)[-2] for root in body["api_roots"]}
        assert roots == {"chu-alpha", "clinique-beta"}
        assert body["default"] in body["api_roots"]


def test_a_client_that_accepts_no_taxii_type_gets_406(a_admin: Any) -> None:
    headers = bearer(a_admin) | {"Accept": "text/html"}
    assert get(ROOT, headers).status_code == 406
    headers["Accept"] = "application/taxii+json;version=2.0"
    assert get(ROOT, headers).status_code == 406
    headers["Accept"] = "application/taxii+json"
    assert get(ROOT, headers).status_code == 200


def test_another_organisations_api_root_is_404_like_one_that_does_not_exist(
    a_admin: Any, b_admin: Any
) -> None:
    headers = bearer(b_admin)
    assert get(ROOT, headers).status_code == 404
    assert get("/taxii2/nowhere/", headers).status_code == 404
    assert get("/taxii2/clinique-beta/collections/not-a-collection/", headers).status_code == 404


def test_the_api_root_gives_its_version_and_size_limit(a_admin: Any) -> None:
    body = get(ROOT, bearer(a_admin)).json()
    assert body["versions"] == [TAXII]
    assert body["max_content_length"] > 0
    assert body["title"] == "CHU Alpha" or body["title"]


def test_collections_are_readable_and_writable_only_by_publishers_with_a_write_token(
    a_admin: Any, centre_analyst: Any, est_a: Organisation, centre: Organisation
) -> None:
    listing = get(ROOT + "collections/", bearer(a_admin, "write")).json()["collections"]
    assert len(listing) == 7
    assert all(c["can_read"] for c in listing)
    assert not any(c["can_write"] for c in listing)  # an establishment admin may not publish
    centre_root = "/taxii2/centre/collections/"
    read_only = get(centre_root, bearer(centre_analyst)).json()["collections"]
    assert not any(c["can_write"] for c in read_only)
    writable = get(centre_root, bearer(centre_analyst, "write")).json()["collections"]
    assert [c["id"] for c in writable if c["can_write"]] == [
        _collection_id(centre_analyst, centre, "published")
    ]


def test_pages_walk_the_whole_collection_once_with_keyset_cursors(
    a_admin: Any, centre: Organisation
) -> None:
    rows = [publish(centre, Tlp.GREEN, f"c2-{n}.example") for n in range(7)]
    collection = _est_a_collection(a_admin, "all")
    seen = _walk(f"{ROOT}collections/{collection}/objects/", bearer(a_admin), limit="2")
    ids = [o["id"] for o in seen]
    assert len(ids) == len(set(ids))
    indicators = {o["id"] for o in seen if o["type"] == "indicator"}
    assert indicators == {f"indicator--{row.stix_id}" for row in rows}
    assert {o["type"] for o in seen} == {"indicator", "marking-definition", "identity"}


def test_a_page_carries_the_date_added_headers_and_added_after_resumes_polling(
    a_admin: Any, centre: Organisation
) -> None:
    first = publish(centre, Tlp.GREEN, "first.example")
    path = f"{ROOT}collections/{_est_a_collection(a_admin, 'all')}/objects/"
    headers = bearer(a_admin)
    response = get(path, headers)
    last_added = response["X-TAXII-Date-Added-Last"]
    assert response["X-TAXII-Date-Added-First"] <= last_added
    assert get(path, headers, added_after=last_added).json() == {"more": False}
    second = publish(centre, Tlp.GREEN, "second.example")
    later = get(path, headers, added_after=last_added).json()["objects"]
    assert [o["id"] for o in later] == [f"indicator--{second.stix_id}"]
    assert first.stix_id != second.stix_id


def test_match_filters_select_by_type_id_version_and_spec_version(
    a_admin: Any, centre: Organisation
) -> None:
    one = publish(centre, Tlp.GREEN, "one.example")
    publish(centre, Tlp.GREEN, "203.0.113.9", type_="ipv4")
    path = f"{ROOT}collections/{_est_a_collection(a_admin, 'all')}/objects/"
    headers = bearer(a_admin)
    typed = get(path, headers, **{"match[type]": "indicator"}).json()["objects"]
    assert {o["type"] for o in typed} == {"indicator"}
    assert len(typed) == 2
    by_id = get(path, headers, **{"match[id]": f"indicator--{one.stix_id}"}).json()["objects"]
    assert [o["pattern"] for o in by_id] == ["[domain-name:value = 'one.example']"]
    version = by_id[0]["modified"]
    assert len(get(path, headers, **{"match[version]": version}).json()["objects"]) == 1
    none = get(path, headers, **{"match[version]": "2001-01-01T00:00:00Z"}).json()
    assert "objects" not in none
    assert get(path, headers, **{"match[spec_version]": "2.0"}).json() == {"more": False}
    assert get(path, headers, added_after="yesterday").status_code == 400
    assert get(path, headers, limit="0").status_code == 400
    assert get(path, headers, next="garbage").status_code == 400


def test_object_versions_and_manifest_describe_the_same_objects(
    a_admin: Any, centre: Organisation
) -> None:
    row = publish(centre, Tlp.AMBER, "amber.example", tags=["ransomware:lockbit"])
    base = f"{ROOT}collections/{_est_a_collection(a_admin, 'tlp-amber')}/"
    headers = bearer(a_admin)
    object_id = f"indicator--{row.stix_id}"
    found = get(f"{base}objects/{object_id}/", headers).json()["objects"]
    assert found[0]["labels"] == ["ransomware:lockbit"]
    assert found[0]["object_marking_refs"] == [
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
    ]
    versions = get(f"{base}objects/{object_id}/versions/", headers).json()
    assert versions == {"more": False, "versions": [found[0]["modified"]]}
    manifest = get(f"{base}manifest/", headers).json()["objects"]
    entry = next(m for m in manifest if m["id"] == object_id)
    assert entry["version"] == found[0]["modified"]
    assert entry["media_type"] == "application/stix+json;version=2.1"
    missing = f"{base}objects/indicator--00000000-0000-4000-8000-000000000000/"
    assert get(missing, headers).status_code == 404


def test_a_tlp_collection_holds_only_that_marking(a_admin: Any, centre: Organisation) -> None:
    publish(centre, Tlp.GREEN, "green.example")
    publish(centre, Tlp.AMBER, "amber.example")
    path = f"{ROOT}collections/{_est_a_collection(a_admin, 'tlp-green')}/objects/"
    seen = get(path, bearer(a_admin)).json()["objects"]
    assert {o["name"] for o in seen if o["type"] == "indicator"} == {"green.example"}
    markings = [o for o in seen if o["type"] == "marking-definition"]
    assert [m["name"] for m in markings] == ["TLP:GREEN"]


def test_amber_strict_never_leaves_its_organisation_and_red_reaches_only_the_named(
    a_admin: Any,
    b_admin: Any,
    centre_analyst: Any,
    est_a: Organisation,
    est_b: Organisation,
    centre: Organisation,
    make_user: Callable[..., Any],
) -> None:
    strict = publish(est_a, Tlp.AMBER_STRICT, "strict.example")
    red = publish(centre, Tlp.RED, "red.example", recipients=(a_admin,))
    colleague = make_user("a.colleague", est_a, Role.SECURITY_OFFICER)

    def values(user: Any, org: Organisation) -> set[str]:
        path = f"/taxii2/{org.slug}/collections/{_collection_id(user, org, 'all')}/objects/"
        return {o["name"] for o in _walk(path, bearer(user)) if o["type"] == "indicator"}

    assert values(a_admin, est_a) == {strict.value, red.value}
    assert values(colleague, est_a) == {strict.value}
    assert values(b_admin, est_b) == set()
    assert values(centre_analyst, centre) == set()


def _envelope(*objects: dict[str, Any]) -> bytes:
    return json.dumps({"objects": list(objects)}).encode()


INDICATOR = {
    "type": "indicator",
    "spec_version": "2.1",
    "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
    "created": "2026-11-30T10:00:00.000Z",
    "modified": "2026-11-30T10:00:00.000Z",
    "pattern": "[domain-name:value = 'lockbit-pay.example']",
    "pattern_type": "stix",
    "valid_from": "2026-11-30T10:00:00Z",
    "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],
}
BROKEN = INDICATOR | {
    "id": "indicator--1d9c3f1c-9c9a-4b59-8b0b-0b6a8b6d7c11",
    "pattern": "[domain-name:value = ",
}


def test_a_centre_analyst_adds_objects_and_reads_their_status(
    centre_analyst: Any, centre: Organisation, a_admin: Any
) -> None:
    collection = _collection_id(centre_analyst, centre, "published")
    path = f"/taxii2/centre/collections/{collection}/objects/"
    headers = bearer(centre_analyst, "write")
    response = Client().post(
        path, _envelope(INDICATOR, BROKEN), content_type=TAXII, headers=headers
    )
    assert response.status_code == 202, response.content
    status = response.json()
    assert (status["status"], status["total_count"]) == ("complete", 2)
    assert status["successes"] == [{"id": INDICATOR["id"], "version": INDICATOR["modified"]}]
    assert [f["id"] for f in status["failures"]] == [BROKEN["id"]]
    assert status["failures"][0]["message"]
    stored = Indicator.objects.get(value="lockbit-pay.example")
    assert (stored.organisation_id, stored.tlp) == (centre.pk, Tlp.GREEN)
    again = get(f"/taxii2/centre/status/{status['id']}/", headers).json()
    assert again == status
    # The status belongs to whoever submitted it.
    other = get(f"/taxii2/chu-alpha/status/{status['id']}/", bearer(a_admin))
    assert other.status_code == 404


def test_submissions_need_a_write_token_a_publisher_taxii_json_and_a_size_within_limit(
    centre_analyst: Any, centre: Organisation, a_admin: Any, est_a: Organisation, settings: Any
) -> None:
    collection = _collection_id(centre_analyst, centre, "published")
    path = f"/taxii2/centre/collections/{collection}/objects/"
    body = _envelope(INDICATOR)
    read_only = Client().post(
        path, body, content_type=TAXII, headers=bearer(centre_analyst, "read")
    )
    assert read_only.status_code == 403
    writer = bearer(centre_analyst, "write")
    assert (
        Client().post(path, body, content_type="application/json", headers=writer).status_code
        == 415
    )
    settings.VIGIE_TAXII_MAX_CONTENT_BYTES = 100
    assert Client().post(path, body, content_type=TAXII, headers=writer).status_code == 413
    settings.VIGIE_TAXII_MAX_CONTENT_BYTES = 10_000
    assert Client().post(path, b"{", content_type=TAXII, headers=writer).status_code == 400
    everything = _collection_id(centre_analyst, centre, "all")
    all_path = f"/taxii2/centre/collections/{everything}/objects/"
    assert Client().post(all_path, body, content_type=TAXII, headers=writer).status_code == 403
    est_collection = _collection_id(a_admin, est_a, "published")
    est_path = f"{ROOT}collections/{est_collection}/objects/"
    denied = Client().post(est_path, body, content_type=TAXII, headers=bearer(a_admin, "write"))
    assert denied.status_code == 403
    assert not Indicator.objects.exists()


def test_errors_are_in_the_callers_language(a_admin: Any) -> None:
    a_admin.language = "fr"
    a_admin.save(update_fields=["language"])
    response = get(f"{ROOT}collections/nope/", bearer(a_admin))
    assert response.status_code == 404
    assert response.json()["title"] == "Introuvable."

"""Real peers: the OASIS `taxii2-client` reads our server over HTTP, `stix2-validator` checks
every object we serve, and what we serve reads back through our own STIX reader."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from stix2validator import ValidationOptions, validate_instance
from taxii2client.exceptions import TAXIIServiceException
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from tests.taxii.support import BearerAuth, publish
from vigie.api.tokens import create_token
from vigie.engines.indicators import read_stix_bundle
from vigie.intel.models import Tlp
from vigie.tenancy.models import Organisation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shared(centre: Organisation, est_a: Organisation, est_b: Organisation, a_admin: Any) -> None:
    publish(centre, Tlp.CLEAR, "clear.example", tags=["phishing"], confidence=80)
    publish(centre, Tlp.GREEN, "198.51.100.0/24", type_="cidr")
    publish(centre, Tlp.AMBER, "2001:db8::7", type_="ipv6")
    publish(centre, Tlp.RED, "http://red.example/pay?id='1'", type_="url", recipients=(a_admin,))
    publish(est_a, Tlp.AMBER_STRICT, "d41d8cd98f00b204e9800998ecf8427e", type_="md5")
    publish(est_a, Tlp.GREEN, "phish@evil.example", type_="email", revoked=True)
    publish(est_b, Tlp.AMBER_STRICT, "b" * 64, type_="sha256")
    for n in range(30):
        publish(centre, Tlp.GREEN, f"c2-{n}.lockbit.example", tags=["ransomware:lockbit"])


def _read_everything(root: ApiRoot) -> dict[str, list[dict[str, Any]]]:
    """Every object of every collection, by collection id (the first one holds all)."""
    found = {}
    for collection in root.collections:
        assert collection.can_read
        objects: list[dict[str, Any]] = []
        for envelope in as_pages(collection.get_objects, per_request=7):
            objects.extend(envelope.get("objects", []))
        found[collection.id] = objects
    return found


def test_taxii2_client_reads_every_collection_page_by_page_with_basic_and_bearer(
    live_server: Any, shared: None, a_admin: Any
) -> None:
    _token, secret = create_token(user=a_admin, name="misp")
    basic = Server(f"{live_server.url}/taxii2/", user=a_admin.username, password=secret)
    bearer = Server(f"{live_server.url}/taxii2/", auth=BearerAuth(secret))
    assert [r.url for r in basic.api_roots] == [f"{live_server.url}/taxii2/chu-alpha/"]
    read_basic = _read_everything(basic.api_roots[0])
    read_bearer = _read_everything(bearer.api_roots[0])
    assert read_basic == read_bearer
    every = read_basic[basic.api_roots[0].collections[0].id]
    names = {o["name"] for o in every if o["type"] == "indicator"}
    assert len(names) == 30 + 6
    assert "b" * 64 not in names  # the other establishment's AMBER+STRICT
    assert len([o["id"] for o in every]) == len({o["id"] for o in every})
    options = ValidationOptions(version="2.1")
    for objects in read_basic.values():
        for obj in objects:
            result = validate_instance(obj, options)
            assert result.is_valid, (obj, [str(e) for e in result.errors])
    bundle = {
        "type": "bundle",
        "id": "bundle--6a3f9c4e-8a55-4ad6-9f43-3c1f2f2a2b10",
        "objects": every,
    }
    back = read_stix_bundle(json.dumps(bundle).encode())
    assert {r.value for r in back.records} == names - {"phish@evil.example"}  # revoked skipped
    assert [p.code for p in back.problems] == ["revoked"]


def test_taxii2_client_without_credentials_gets_401(live_server: Any, db: Any) -> None:
    with pytest.raises(requests.HTTPError) as refused:
        Server(f"{live_server.url}/taxii2/").refresh()
    assert refused.value.response.status_code == 401


def test_taxii2_client_adds_objects_as_a_centre_analyst_and_reads_them_back(
    live_server: Any, centre_analyst: Any, centre: Organisation
) -> None:
    _token, secret = create_token(user=centre_analyst, name="feed", scope="write")
    server = Server(f"{live_server.url}/taxii2/", auth=BearerAuth(secret))
    root = server.api_roots[0]
    published = next(c for c in root.collections if c.can_write)
    indicator = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--0f6d7f7e-3c1f-4a2b-9a55-8e6b2f1d2c3a",
        "created": "2026-12-01T08:00:00.000Z",
        "modified": "2026-12-01T08:00:00.000Z",
        "pattern": "[ipv4-addr:value = '45.155.205.233']",
        "pattern_type": "stix",
        "valid_from": "2026-12-01T08:00:00Z",
    }
    status = published.add_objects(json.dumps({"objects": [indicator]}))
    assert (status.status, status.success_count, status.failure_count) == ("complete", 1, 0)
    status.refresh()
    assert status.total_count == 1
    served = Collection(published.url, auth=BearerAuth(secret)).get_objects(type="indicator")
    assert [o["pattern"] for o in served["objects"]] == ["[ipv4-addr:value = '45.155.205.233']"]
    with pytest.raises((requests.HTTPError, TAXIIServiceException)):
        next(c for c in root.collections if not c.can_write).add_objects(
            json.dumps({"objects": [indicator]})
        )

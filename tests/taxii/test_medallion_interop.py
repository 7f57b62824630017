"""The OASIS reference TAXII 2.1 server, medallion, as a peer: what we export, it serves back
unchanged, whether it is loaded into medallion's memory backend or added through its API."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import medallion
import pytest
from flask import Flask
from medallion.exceptions import BackendError, ProcessingError
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages
from werkzeug.serving import make_server

from tests.taxii.support import BearerAuth, publish
from vigie.api.tokens import create_token
from vigie.intel.models import Tlp
from vigie.tenancy.models import Organisation

pytestmark = pytest.mark.django_db(transaction=True)

STIX_21 = "application/stix+json;version=2.1"
TAXII_21 = "application/taxii+json;version=2.1"
ROOT = "vigie-copy"
READER, PASSWORD = "peer", "peer-password"
INBOX_ID = "5b2f4c1e-8d0a-4a57-9c3e-2f6a1d7b9e40"


@pytest.fixture
def shared(centre: Organisation, est_a: Organisation, est_b: Organisation, a_admin: Any) -> None:
    publish(centre, Tlp.CLEAR, "clear.example", tags=["phishing"], confidence=80)
    publish(centre, Tlp.GREEN, "198.51.100.0/24", type_="cidr")
    publish(centre, Tlp.AMBER, "2001:db8::7", type_="ipv6")
    publish(centre, Tlp.RED, "http://red.example/pay?id='1'", type_="url", recipients=(a_admin,))
    publish(est_a, Tlp.AMBER_STRICT, "d41d8cd98f00b204e9800998ecf8427e", type_="md5")
    publish(est_a, Tlp.GREEN, "phish@evil.example", type_="email", revoked=True)
    publish(est_a, Tlp.GREEN, "a" * 40, type_="sha1", tags=["malware", "stealer"])
    publish(est_a, Tlp.AMBER, "203.0.113.9", type_="ipv4", confidence=35)
    publish(est_b, Tlp.AMBER_STRICT, "b" * 64, type_="sha256")  # not est_a's to see
    for n in range(32):
        publish(centre, Tlp.GREEN, f"c2-{n}.lockbit.example", tags=["ransomware:lockbit"])


def _read_pages(read: Callable[..., Any], key: str = "objects") -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    # A page size that does not divide the count, so that the last page is a partial one.
    for envelope in as_pages(read, per_request=7):
        found.extend(envelope.get(key, []))
    return found


def _by_id(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(objects, key=lambda o: str(o["id"]))


@pytest.fixture
def exported(live_server: Any, shared: None, a_admin: Any) -> dict[str, Any]:
    """Our "All indicators" collection as a peer reads it: its id, objects and manifest."""
    _token, secret = create_token(user=a_admin, name="medallion")
    root: ApiRoot = Server(f"{live_server.url}/taxii2/", auth=BearerAuth(secret)).api_roots[0]
    everything: Collection = root.collections[0]  # "All indicators" (its title is translated)
    objects = _read_pages(everything.get_objects)
    manifest = _read_pages(everything.get_manifest)
    assert len(objects) == len({o["id"] for o in objects}) == len(manifest)
    names = {o["name"] for o in objects if o["type"] == "indicator"}
    assert len(names) == 32 + 8
    assert "b" * 64 not in names
    assert {o["type"] for o in objects} == {"indicator", "identity", "marking-definition"}
    return {"id": everything.id, "objects": objects, "manifest": manifest}


def medallion_data(base_url: str, collection_id: str, exported: dict[str, Any]) -> dict[str, Any]:
    """The layout of medallion's memory backend (its `default_data.json`): discovery, then
    each API root with its information, statuses and collections (objects and manifest)."""
    return {
        "/discovery": {
            "title": "medallion, loaded with Vigie Santé's export",
            "default": f"{base_url}/{ROOT}/",
            "api_roots": [f"{base_url}/{ROOT}/"],
        },
        ROOT: {
            "information": {
                "title": "A copy of our All indicators collection",
                "versions": [TAXII_21],
                "max_content_length": 10 * 2**20,
            },
            "status": [],
            "collections": [
                {
                    "id": collection_id,
                    "title": "All indicators (copy)",
                    "can_read": True,
                    "can_write": False,
                    "media_types": [STIX_21],
                    "objects": exported["objects"],
                    "manifest": exported["manifest"],
                },
                {
                    "id": INBOX_ID,
                    "title": "Inbox",
                    "can_read": True,
                    "can_write": True,
                    "media_types": [STIX_21],
                    "objects": [],
                    "manifest": [],
                },
            ],
        },
    }


@pytest.fixture
def medallion_server(exported: dict[str, Any]) -> Iterator[str]:
    """medallion on a free loopback port, its memory backend holding our export."""
    # A Flask app of our own rather than medallion's module-level one: Flask refuses to
    # register blueprints on an app that has served a request, so each test needs a fresh one.
    app = Flask("medallion")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    data = medallion_data(base_url, exported["id"], exported)
    config = {
        "users": {READER: PASSWORD},
        "taxii": {"max_page_size": 1000},
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": io.StringIO(json.dumps(data)),
        },
    }
    for part in ("users", "taxii", "backend"):
        medallion.set_config(app, part, config)
    medallion.register_blueprints(app)
    app.register_error_handler(ProcessingError, medallion.handle_processing_error)
    app.register_error_handler(BackendError, medallion.handle_backend_error)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _medallion_root(base_url: str) -> ApiRoot:
    server = Server(f"{base_url}/taxii2/", user=READER, password=PASSWORD)
    [root] = server.api_roots
    return root


def test_medallion_serves_our_exported_objects_back_unchanged(
    medallion_server: str, exported: dict[str, Any]
) -> None:
    root = _medallion_root(medallion_server)
    copy = next(c for c in root.collections if c.id == exported["id"])
    served = _read_pages(copy.get_objects)
    assert len(served) == len(exported["objects"])
    assert _by_id(served) == _by_id(exported["objects"])
    # Our manifest feeds medallion's paging order, so it serves them in our order too.
    assert [o["id"] for o in served] == [o["id"] for o in exported["objects"]]
    assert _by_id(_read_pages(copy.get_manifest)) == _by_id(exported["manifest"])


def test_medallion_accepts_our_objects_posted_to_its_collection_and_serves_them_unchanged(
    medallion_server: str, exported: dict[str, Any]
) -> None:
    root = _medallion_root(medallion_server)
    inbox = next(c for c in root.collections if c.id == INBOX_ID)
    assert inbox.can_write
    assert _read_pages(inbox.get_objects) == []
    status = inbox.add_objects(json.dumps({"objects": exported["objects"]}))
    count = len(exported["objects"])
    assert (status.status, status.success_count, status.failure_count) == ("complete", count, 0)
    assert _by_id(_read_pages(inbox.get_objects)) == _by_id(exported["objects"])
    # Each version medallion records for an object is the one we gave it.
    versions = {m["id"]: m["version"] for m in _read_pages(inbox.get_manifest)}
    assert versions == {m["id"]: m["version"] for m in exported["manifest"]}
    again = inbox.add_objects(json.dumps({"objects": exported["objects"]}))
    assert (again.success_count, again.failure_count) == (0, count)  # same id and version

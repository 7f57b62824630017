"""Fixtures of the TAXII tests: what a peer exports from our server, and medallion serving it."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from typing import Any

import medallion
import pytest
from flask import Flask
from medallion.exceptions import BackendError, ProcessingError
from taxii2client.v21 import ApiRoot, Collection, Server
from werkzeug.serving import make_server

from tests.taxii.medallion_peer import PASSWORD, READER, medallion_data, read_pages
from tests.taxii.support import BearerAuth, publish
from vigie.api.tokens import create_token
from vigie.intel.models import Tlp
from vigie.tenancy.models import Organisation


@pytest.fixture
def peer_indicators(
    centre: Organisation, est_a: Organisation, est_b: Organisation, a_admin: Any
) -> None:
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


@pytest.fixture
def exported(live_server: Any, peer_indicators: None, a_admin: Any) -> dict[str, Any]:
    """Our "All indicators" collection as a peer reads it: its id, objects and manifest."""
    _token, secret = create_token(user=a_admin, name="medallion")
    root: ApiRoot = Server(f"{live_server.url}/taxii2/", auth=BearerAuth(secret)).api_roots[0]
    everything: Collection = root.collections[0]  # "All indicators" (its title is translated)
    objects = read_pages(everything.get_objects)
    manifest = read_pages(everything.get_manifest)
    assert len(objects) == len({o["id"] for o in objects}) == len(manifest)
    names = {o["name"] for o in objects if o["type"] == "indicator"}
    assert len(names) == 32 + 8
    assert "b" * 64 not in names
    assert {o["type"] for o in objects} == {"indicator", "identity", "marking-definition"}
    return {"id": everything.id, "objects": objects, "manifest": manifest}


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

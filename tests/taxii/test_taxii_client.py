"""Our TAXII client (the sensor's) against real servers: ours over HTTP with Basic and Bearer,
and OASIS medallion serving the same objects; its errors are codes, never a traceback."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.taxii.medallion_peer import PASSWORD, READER
from vigie.api.tokens import create_token
from vigie.engines.indicators import read_stix_bundle
from vigie.sensor.taxii_client import CollectionInfo, TaxiiClient, TaxiiClientError

pytestmark = pytest.mark.django_db(transaction=True)


def _everything(client: TaxiiClient) -> tuple[CollectionInfo, list[dict[str, Any]]]:
    [root] = client.api_roots()
    collection = client.collections(root)[0]
    return collection, list(client.objects(collection, limit=7))


def test_the_client_reads_our_server_page_by_page_with_bearer_and_basic(
    live_server: Any, exported: dict[str, Any], a_admin: Any
) -> None:
    _row, secret = create_token(user=a_admin, name="sensor")
    discovery = f"{live_server.url}/taxii2/"
    bearer = TaxiiClient(discovery, token=secret)
    basic = TaxiiClient(discovery, username=a_admin.username, password=secret)
    for client in (bearer, basic):
        collection, objects = _everything(client)
        assert collection.id == exported["id"]
        assert sorted(o["id"] for o in objects) == sorted(o["id"] for o in exported["objects"])
    # What it read is a bundle our own reader loads: the sensor matches these values.
    bundle = {"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"}
    read = read_stix_bundle(json.dumps({**bundle, "objects": objects}).encode())
    # 40 indicators, one of them revoked: counted as such, not a value to match.
    assert len(read.records) == 39
    assert [(p.code, p.params) for p in read.problems] == [("revoked", {"count": 1})]


def test_the_client_reads_medallion_serving_the_same_objects(
    medallion_server: str, exported: dict[str, Any]
) -> None:
    client = TaxiiClient(f"{medallion_server}/taxii2/", username=READER, password=PASSWORD)
    [root] = client.api_roots()
    copy = next(c for c in client.collections(root) if c.id == exported["id"])
    objects = list(client.objects(copy, limit=7))
    assert {o["id"]: o for o in objects} == {o["id"]: o for o in exported["objects"]}


def test_errors_are_codes_with_the_status_and_the_server_s_title(live_server: Any, db: Any) -> None:
    with pytest.raises(TaxiiClientError) as anonymous:
        TaxiiClient(f"{live_server.url}/taxii2/").api_roots()
    assert anonymous.value.code == "http_error"
    assert anonymous.value.params["status"] == 401
    assert anonymous.value.params["title"]
    with pytest.raises(TaxiiClientError) as local:
        TaxiiClient("file:///etc/passwd").api_roots()
    assert local.value.code == "bad_scheme"


@pytest.fixture
def not_taxii() -> Iterator[str]:
    """A plain web server answering HTML, as a captive portal or a wrong URL would."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<html>hello</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/taxii2/"
    finally:
        server.shutdown()
        server.server_close()


def test_a_server_that_does_not_answer_taxii_is_named_not_parsed(not_taxii: str, db: Any) -> None:
    with pytest.raises(TaxiiClientError) as wrong:
        TaxiiClient(not_taxii).api_roots()
    assert wrong.value.code == "bad_media_type"
    assert wrong.value.params["media_type"] == "text/html"
    with pytest.raises(TaxiiClientError) as closed:
        TaxiiClient("http://127.0.0.1:9/taxii2/", timeout=2).api_roots()
    assert closed.value.code == "unreachable"

"""The OASIS reference TAXII 2.1 server, medallion, as a peer: what we export, it serves back
unchanged, whether it is loaded into medallion's memory backend or added through its API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from taxii2client.v21 import ApiRoot, Server

from tests.taxii.medallion_peer import INBOX_ID, PASSWORD, READER, by_id, read_pages

pytestmark = pytest.mark.django_db(transaction=True)


def _medallion_root(base_url: str) -> ApiRoot:
    server = Server(f"{base_url}/taxii2/", user=READER, password=PASSWORD)
    [root] = server.api_roots
    return root


def test_medallion_serves_our_exported_objects_back_unchanged(
    medallion_server: str, exported: dict[str, Any]
) -> None:
    root = _medallion_root(medallion_server)
    copy = next(c for c in root.collections if c.id == exported["id"])
    served = read_pages(copy.get_objects)
    assert len(served) == len(exported["objects"])
    assert by_id(served) == by_id(exported["objects"])
    # Our manifest feeds medallion's paging order, so it serves them in our order too.
    assert [o["id"] for o in served] == [o["id"] for o in exported["objects"]]
    assert by_id(read_pages(copy.get_manifest)) == by_id(exported["manifest"])


def test_medallion_accepts_our_objects_posted_to_its_collection_and_serves_them_unchanged(
    medallion_server: str, exported: dict[str, Any]
) -> None:
    root = _medallion_root(medallion_server)
    inbox = next(c for c in root.collections if c.id == INBOX_ID)
    assert inbox.can_write
    assert read_pages(inbox.get_objects) == []
    status = inbox.add_objects(json.dumps({"objects": exported["objects"]}))
    count = len(exported["objects"])
    assert (status.status, status.success_count, status.failure_count) == ("complete", count, 0)
    assert by_id(read_pages(inbox.get_objects)) == by_id(exported["objects"])
    # Each version medallion records for an object is the one we gave it.
    versions = {m["id"]: m["version"] for m in read_pages(inbox.get_manifest)}
    assert versions == {m["id"]: m["version"] for m in exported["manifest"]}
    again = inbox.add_objects(json.dumps({"objects": exported["objects"]}))
    assert (again.success_count, again.failure_count) == (0, count)  # same id and version

"""OASIS medallion as a peer of the tests: its memory-backend layout and the helpers that read
TAXII pages with taxii2-client (fixtures in tests/taxii/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from taxii2client.v21 import as_pages

STIX_21 = "application/stix+json;version=2.1"
TAXII_21 = "application/taxii+json;version=2.1"
ROOT = "vigie-copy"
READER, PASSWORD = "peer", "peer-password"
INBOX_ID = "5b2f4c1e-8d0a-4a57-9c3e-2f6a1d7b9e40"


def read_pages(read: Callable[..., Any], key: str = "objects") -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    # A page size that does not divide the count, so that the last page is a partial one.
    for envelope in as_pages(read, per_request=7):
        found.extend(envelope.get(key, []))
    return found


def by_id(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(objects, key=lambda o: str(o["id"]))


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

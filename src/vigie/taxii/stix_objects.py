"""Indicators as STIX 2.1 objects: patterns, TLP 2.0 marking definitions, publisher identities.

The objects are built as plain dicts rather than through `stix2` objects: a TAXII page holds up
to 1,000 of them and `stix2`'s per-property validation costs ~0.3 ms an object, most of the
page's budget (docs/architecture.md). Every shape served here is checked by `stix2-validator`
in the tests instead.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from vigie.intel.models import Indicator, IndicatorType, Tlp
from vigie.tenancy.models import Organisation
from vigie.tenancy.roles import OrgKind

SPEC_VERSION = "2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
TLP_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
# The TLP 2.0 marking definitions published by OASIS (their ids and creation date are fixed).
TLP_MARKING_IDS = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP_MARKINGS_CREATED = datetime(2022, 10, 1, tzinfo=UTC)
# Identities of the platform's organisations: stable ids from the deployment's namespace.
DEFAULT_NAMESPACE = uuid.UUID("3d6f1f4e-3c55-4d0b-9a3e-6c1c7a5b2e10")

_PATTERN_PATHS = {
    IndicatorType.DOMAIN: "domain-name:value",
    IndicatorType.IPV4: "ipv4-addr:value",
    IndicatorType.IPV6: "ipv6-addr:value",
    IndicatorType.URL: "url:value",
    IndicatorType.MD5: "file:hashes.MD5",
    IndicatorType.SHA1: "file:hashes.'SHA-1'",
    IndicatorType.SHA256: "file:hashes.'SHA-256'",
    IndicatorType.EMAIL: "email-addr:value",
}


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with microseconds: STIX timestamps and TAXII `date_added` alike."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def pattern_for(type_: str, value: str) -> str:
    """The STIX pattern of one normalised indicator value."""
    if type_ == IndicatorType.CIDR:
        path = "ipv6-addr:value" if ":" in value else "ipv4-addr:value"
    else:
        path = _PATTERN_PATHS[IndicatorType(type_)]
    # STIX pattern string literals escape the backslash and the quote (STIX 2.1, 9.2).
    literal = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"[{path} = '{literal}']"


def identity_id(organisation_id: int) -> str:
    namespace = getattr(settings, "VIGIE_STIX_NAMESPACE", None) or DEFAULT_NAMESPACE
    return f"identity--{uuid.uuid5(uuid.UUID(str(namespace)), f'organisation:{organisation_id}')}"


def indicator_id(row: Indicator) -> str:
    return f"indicator--{row.stix_id}"


def indicator_object(row: Indicator) -> dict[str, Any]:
    modified = timestamp(row.updated_at)
    # `created` cannot follow `modified`; `valid_until` must follow `valid_from` (STIX 2.1, 4.7).
    created = timestamp(min(row.first_seen, row.updated_at))
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": SPEC_VERSION,
        "id": indicator_id(row),
        "created_by_ref": identity_id(row.organisation_id),
        "created": created,
        "modified": modified,
        "name": row.value,
        "indicator_types": ["malicious-activity"],
        "pattern": pattern_for(row.type, row.value),
        "pattern_type": "stix",
        "pattern_version": SPEC_VERSION,
        "valid_from": timestamp(row.first_seen),
        "object_marking_refs": [TLP_MARKING_IDS[Tlp(row.tlp)]],
    }
    if row.valid_until is not None and row.valid_until > row.first_seen:
        obj["valid_until"] = timestamp(row.valid_until)
    if row.revoked:
        obj["revoked"] = True
    if row.tags:
        obj["labels"] = [str(tag) for tag in row.tags]
    if row.confidence is not None:
        obj["confidence"] = min(int(row.confidence), 100)
    return obj


def marking_object(tlp: str) -> dict[str, Any]:
    level = Tlp(tlp)
    return {
        "type": "marking-definition",
        "spec_version": SPEC_VERSION,
        "id": TLP_MARKING_IDS[level],
        "created": timestamp(TLP_MARKINGS_CREATED),
        "name": f"TLP:{level.value.upper()}",
        "extensions": {
            TLP_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": level.value}
        },
    }


def identity_object(organisation: Organisation) -> dict[str, Any]:
    created = timestamp(organisation.created_at)
    return {
        "type": "identity",
        "spec_version": SPEC_VERSION,
        "id": identity_id(organisation.pk),
        "created": created,
        "modified": created,
        "name": organisation.name,
        "identity_class": "organization",
        "sectors": ["healthcare"],
        "roles": ["support-centre" if organisation.kind == OrgKind.CENTRE else "establishment"],
    }

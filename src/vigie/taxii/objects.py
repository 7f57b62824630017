"""A collection's objects, versions and manifest, in pages walked by a keyset cursor.

Objects are ordered by TAXII `date_added`, then a rank and a tie-breaker: the TLP marking
definitions and publisher identities (a few, rank 0 and 1) come first at their creation dates,
then indicators (rank 2) by (updated_at, id). A page reads at most `limit + 1` indicator rows
from the (updated_at, id) index after the cursor: no OFFSET, so page 1,000 costs what page 1
does. Only the current version of an object is kept, so `match[version]` selects it or nothing.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q, QuerySet

from vigie.intel.models import Indicator
from vigie.taxii.collections import Collection
from vigie.taxii.stix_objects import (
    SPEC_VERSION,
    TLP_MARKINGS_CREATED,
    identity_object,
    indicator_object,
    marking_object,
    timestamp,
)
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import Organisation
from vigie.tenancy.roles import OrgKind

MAX_PAGE = 1000
DEFAULT_PAGE = 1000
INDICATOR_RANK = 2
_FIELDS = (
    "id",
    "organisation_id",
    "type",
    "value",
    "tlp",
    "tags",
    "confidence",
    "first_seen",
    "updated_at",
    "valid_until",
    "revoked",
    "stix_id",
)


class BadQuery(ValueError):
    """A query parameter the server cannot use; the message names it."""


@dataclass(frozen=True, slots=True)
class Cursor:
    added: datetime
    rank: int
    tie: str  # the STIX id for ranks 0 and 1, the row id for indicators

    def encode(self) -> str:
        raw = json.dumps([self.added.isoformat(), self.rank, self.tie]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            added, rank, tie = json.loads(raw)
            cursor = cls(datetime.fromisoformat(added), int(rank), str(tie))
        except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
            raise BadQuery("next") from None
        if cursor.added.tzinfo is None or cursor.rank not in (0, 1, INDICATOR_RANK):
            raise BadQuery("next")
        if cursor.rank == INDICATOR_RANK and not cursor.tie.isdigit():
            raise BadQuery("next")
        return cursor


@dataclass(slots=True)
class Filters:
    added_after: datetime | None = None
    limit: int = DEFAULT_PAGE
    after: Cursor | None = None
    ids: set[str] | None = None
    types: set[str] | None = None
    versions: set[str] = field(default_factory=lambda: {"last"})
    spec_versions: set[str] | None = None


def _timestamp_param(name: str, text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise BadQuery(name) from None
    if moment.tzinfo is None:
        raise BadQuery(name)
    return moment.astimezone(UTC)


def _list_param(text: str) -> set[str]:
    return {item.strip() for item in text.split(",") if item.strip()}


def parse_filters(params: Any, *, allow_id: bool = True) -> Filters:
    filters = Filters()
    if params.get("added_after"):
        filters.added_after = _timestamp_param("added_after", params["added_after"])
    if params.get("limit"):
        try:
            limit = int(params["limit"])
        except ValueError:
            raise BadQuery("limit") from None
        if limit < 1:
            raise BadQuery("limit")
        filters.limit = min(limit, MAX_PAGE)
    if params.get("next"):
        filters.after = Cursor.decode(params["next"])
    if allow_id and params.get("match[id]"):
        filters.ids = _list_param(params["match[id]"])
    if params.get("match[type]"):
        filters.types = _list_param(params["match[type]"])
    if params.get("match[version]"):
        versions = _list_param(params["match[version]"])
        for version in versions - {"first", "last", "all"}:
            _timestamp_param("match[version]", version)
        filters.versions = versions
    if params.get("match[spec_version]"):
        filters.spec_versions = _list_param(params["match[spec_version]"])
    return filters


@dataclass(frozen=True, slots=True)
class Entry:
    """One object of a page with its TAXII `date_added` and sort key."""

    added: datetime
    rank: int
    tie: str
    obj: dict[str, Any]

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.added, self.rank, self.tie)

    def sort_key(self) -> tuple[datetime, int, str | int]:
        return (self.added, self.rank, int(self.tie) if self.rank == INDICATOR_RANK else self.tie)


@dataclass(frozen=True, slots=True)
class Page:
    entries: list[Entry]
    more: bool

    @property
    def next(self) -> str | None:
        return self.entries[-1].cursor.encode() if self.more and self.entries else None

    def headers(self) -> dict[str, str]:
        if not self.entries:
            return {}
        return {
            "X-TAXII-Date-Added-First": timestamp(self.entries[0].added),
            "X-TAXII-Date-Added-Last": timestamp(self.entries[-1].added),
        }


def _publishers(access: OrgAccess) -> list[Organisation]:
    """Whose indicators the reader may be shown: its community (centre and establishments)."""
    reader = access.organisation
    centre_id = reader.pk if reader.kind == OrgKind.CENTRE else reader.centre_id
    community = Q(pk=reader.pk)
    if centre_id is not None:
        community |= Q(pk=centre_id) | Q(centre_id=centre_id)
    return list(Organisation.objects.filter(community).order_by("created_at", "pk")[:500])


def _version_matches(modified: str, versions: set[str]) -> bool:
    # One version per object: first, last and all all name it.
    if versions & {"first", "last", "all"}:
        return True
    return any(_timestamp_param("match[version]", v) == _parse(modified) for v in versions)


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _prelude(collection: Collection, access: OrgAccess) -> list[Entry]:
    """The marking definitions and identities the collection's indicators refer to."""
    entries = [
        Entry(TLP_MARKINGS_CREATED, 0, obj["id"], obj)
        for obj in (marking_object(level) for level in collection.tlp_levels())
    ]
    for organisation in _publishers(access):
        obj = identity_object(organisation)
        entries.append(Entry(organisation.created_at.astimezone(UTC), 1, obj["id"], obj))
    return sorted(entries, key=Entry.sort_key)


def _prelude_matches(entry: Entry, filters: Filters) -> bool:
    obj = entry.obj
    if filters.added_after is not None and entry.added <= filters.added_after:
        return False
    if filters.after is not None and entry.sort_key() <= _cursor_key(filters.after):
        return False
    if filters.ids is not None and obj["id"] not in filters.ids:
        return False
    if filters.types is not None and obj["type"] not in filters.types:
        return False
    return _version_matches(obj.get("modified", obj["created"]), filters.versions)


def _cursor_key(cursor: Cursor) -> tuple[datetime, int, str | int]:
    tie: str | int = int(cursor.tie) if cursor.rank == INDICATOR_RANK else cursor.tie
    return (cursor.added, cursor.rank, tie)


def _indicator_rows(
    collection: Collection, access: OrgAccess, filters: Filters
) -> QuerySet[Indicator] | None:
    if filters.types is not None and "indicator" not in filters.types:
        return None
    rows = collection.rows(access)
    if filters.ids is not None:
        uuids = [i.removeprefix("indicator--") for i in filters.ids if i.startswith("indicator--")]
        valid = [u for u in uuids if _is_uuid(u)]
        if not valid:
            return None
        rows = rows.filter(stix_id__in=valid)
    if filters.added_after is not None:
        rows = rows.filter(updated_at__gt=filters.added_after)
    if not filters.versions & {"first", "last", "all"}:
        moments = [_timestamp_param("match[version]", v) for v in filters.versions]
        rows = rows.filter(updated_at__in=moments)
    cursor = filters.after
    if cursor is not None:
        if cursor.rank < INDICATOR_RANK:
            rows = rows.filter(updated_at__gte=cursor.added)
        else:
            # The plain range first: the OR alone is a filter, not an index bound, and
            # PostgreSQL then walks the index from its start (1 s at row 500,000 of 1M).
            rows = rows.filter(updated_at__gte=cursor.added).filter(
                Q(updated_at__gt=cursor.added) | Q(updated_at=cursor.added, pk__gt=int(cursor.tie))
            )
    return rows.order_by("updated_at", "pk").only(*_FIELDS)


def _is_uuid(text: str) -> bool:
    if len(text) != 36:  # uuid.UUID also takes braces, URNs and bare hex; STIX ids do not.
        return False
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def page(collection: Collection, access: OrgAccess, filters: Filters) -> Page:
    """One page of the collection's objects after the filters' cursor, at most `limit`."""
    if filters.spec_versions is not None and SPEC_VERSION not in filters.spec_versions:
        return Page([], more=False)
    limit = filters.limit
    entries = [e for e in _prelude(collection, access) if _prelude_matches(e, filters)]
    rows = _indicator_rows(collection, access, filters)
    if rows is not None:
        # limit + 1 rows whatever the prelude holds: a later prelude object may sort after
        # some of them, and the extra row tells whether there is more.
        for row in rows[: limit + 1]:
            added = row.updated_at.astimezone(UTC)
            entries.append(Entry(added, INDICATOR_RANK, str(row.pk), indicator_object(row)))
    entries.sort(key=Entry.sort_key)
    return Page(entries[:limit], more=len(entries) > limit)


def manifest_record(entry: Entry) -> dict[str, Any]:
    obj = entry.obj
    return {
        "id": obj["id"],
        "date_added": timestamp(entry.added),
        "version": obj.get("modified", obj["created"]),
        "media_type": "application/stix+json;version=2.1",
    }


def objects_of(entries: Iterable[Entry]) -> list[dict[str, Any]]:
    return [entry.obj for entry in entries]

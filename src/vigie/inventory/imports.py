"""Inventory import: upload → preview (errors per row, what would change) → commit, all or nothing.

Re-importing the same inventory updates assets (matched on the inventory's own id) instead of
duplicating them. The commit's transaction writes the assets, their index, what matching they
are owed (vulns.PendingMatch) and the task that does it; the task runs in a worker (the page
shows its progress, the user may leave), and whatever stops it, what it had not done stays
owed and is resumed (vulns/pending.py). Nothing depends on the web request surviving.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from vigie.audit.log import record as audit
from vigie.core.bulk import update_rows
from vigie.engines.inventory import InventoryLimits, load_inventory
from vigie.engines.inventory.common import (
    CRITICALITIES,
    EXPOSURES,
    AssetDefaults,
    InventoryProblem,
    control_characters,
)
from vigie.engines.inventory.loader import detect_format
from vigie.engines.records import AssetRecord, InputError
from vigie.inventory.jobs import enqueue_matching
from vigie.inventory.models import Asset, InventoryImport, Source
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.roles import Cap
from vigie.vulns.matching import index_assets
from vigie.vulns.owed import owe_assets

logger = logging.getLogger(__name__)

FIELDS = (
    "name",
    "kind",
    "vendor",
    "product",
    "version",
    "cpes",
    "purls",
    "location",
    "criticality",
    "exposure",
)
FORMAT_SOURCES = {"csv": Source.CSV, "cyclonedx": Source.CYCLONEDX, "spdx": Source.SPDX}


def _json_value(value: object) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_value(v) for v in value]
    return str(value)


def _problem(error: InputError) -> dict[str, Any]:
    """A problem as stored: the English message, and the code and params the pages translate
    (vigie.inventory.problems)."""
    stored: dict[str, Any] = {
        "file": error.file,
        "line": error.line,
        "field": error.field,
        "record": error.record,
        "message": error.message,
    }
    if isinstance(error, InventoryProblem) and error.code:
        stored["code"] = error.code
        stored["params"] = _json_value(dict(error.params))
    return stored


def _error_count(errors: list[InputError]) -> int:
    """How many errors the file has, those past the listing cap (one more_errors entry) too."""
    count = 0
    for error in errors:
        if isinstance(error, InventoryProblem) and error.code == "more_errors":
            unlisted = error.params.get("count")
            count += unlisted if isinstance(unlisted, int) else 1
        else:
            count += 1
    return count


def asset_defaults(
    *, location: str = "", criticality: str = "", exposure: str = ""
) -> AssetDefaults | None:
    """What the person importing a file says of all its assets that the file does not say
    itself (an SBOM never gives a care unit nor a clinical criticality); None when nothing.

    Raises ValidationError naming the field when a value is not one the inventory knows.
    """
    location = location.strip()
    problems: dict[str, list[str]] = {}
    if criticality and criticality not in CRITICALITIES:
        problems["criticality"] = [
            _("Unknown clinical criticality “%(value)s”; expected one of: %(allowed)s.")
            % {"value": criticality, "allowed": ", ".join(CRITICALITIES)}
        ]
    if exposure and exposure not in EXPOSURES:
        problems["exposure"] = [
            _("Unknown exposure “%(value)s”; expected one of: %(allowed)s.")
            % {"value": exposure, "allowed": ", ".join(EXPOSURES)}
        ]
    limit = InventoryLimits().max_location_chars
    if len(location) > limit:
        problems["location"] = [
            _("A care unit has at most %(limit)d characters.") % {"limit": limit}
        ]
    elif control_characters(location):
        problems["location"] = [
            _("A care unit cannot hold control characters or bidirectional overrides.")
        ]
    if problems:
        raise ValidationError(problems)
    if not (location or criticality or exposure):
        return None
    return AssetDefaults(
        criticality=criticality or None, exposure=exposure or None, location=location
    )


def _record_json(record: AssetRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "kind": record.kind,
        "vendor": record.vendor,
        "product": record.product,
        "version": record.version,
        "cpes": list(record.cpes),
        "purls": list(record.purls),
        "parent": record.parent,
        "criticality": record.criticality or "",
        "exposure": record.exposure or "",
        "location": record.location,
        "line": record.line,
    }


def _asset_values(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": data["name"][:300] or data["id"][:300],
        "kind": data["kind"] or "other",
        "vendor": data["vendor"][:200],
        "product": data["product"][:200],
        "version": data["version"][:100],
        "cpes": list(data["cpes"]),
        "purls": list(data["purls"]),
        "location": data["location"][:200],
        "criticality": data["criticality"] or "",
        "exposure": data["exposure"] or "",
    }


def preview(
    *,
    access: OrgAccess,
    stream: IO[bytes],
    file_name: str,
    request: HttpRequest | None = None,
    root_kind: str | None = None,
    defaults: AssetDefaults | None = None,
) -> InventoryImport:
    """Parse an uploaded inventory and keep what committing it would do.

    `defaults` (see `asset_defaults`) fill the care unit, criticality and exposure of every
    asset the file leaves without. A refused file (errors) has no new/updated/unchanged counts:
    nothing of it would be imported.
    """
    access.require(Cap.EDIT_INVENTORY)
    limit = settings.VIGIE_MAX_INVENTORY_BYTES
    digest = hashlib.sha256()
    safe_name = Path(file_name).name[:255] or "inventory"
    with tempfile.TemporaryDirectory(prefix="vigie-import-") as folder:
        path = Path(folder) / "upload"
        size = 0
        with path.open("wb") as out:
            while chunk := stream.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    raise ValidationError(
                        _("%(file)s is larger than %(limit)d MB.")
                        % {"file": safe_name, "limit": limit // (1 << 20)}
                    )
                digest.update(chunk)
                out.write(chunk)
        with path.open("rb") as handle:
            head = handle.read(64 * 1024)
        detected = detect_format(head)
        if detected == "json":
            # Only parsing tells SPDX from CycloneDX; the key is near the top in practice.
            detected = "spdx" if b'"spdxVersion"' in head else "cyclonedx"
        result = load_inventory(
            path,
            name=safe_name,
            limits=InventoryLimits(max_bytes=limit),
            root_kind=root_kind,
            defaults=defaults,
        )
    fmt = detected if detected in FORMAT_SOURCES else ""
    records = [_record_json(r) for r in result.assets]
    existing = {
        a.external_id: a
        for a in Asset.objects.filter(
            organisation=access.organisation, external_id__in=[r["id"] for r in records]
        ).select_related("parent")
    }
    new = updated = unchanged = 0
    for data in records:
        asset = existing.get(data["id"])
        if asset is None:
            new += 1
        elif _differs(asset, data):
            updated += 1
        else:
            unchanged += 1
    state = InventoryImport.State.INVALID if result.errors else InventoryImport.State.PREVIEW
    job = InventoryImport.objects.create(
        organisation=access.organisation,
        uploaded_by=access.user,
        file_name=safe_name,
        file_format=fmt,
        file_sha256=digest.hexdigest(),
        state=state,
        records=records if not result.errors else [],
        errors=[_problem(e) for e in result.errors[:1000]],
        warnings=[_problem(w) for w in result.warnings[:1000]],
        summary={
            "rows": len(records),
            **({} if result.errors else {"new": new, "updated": updated, "unchanged": unchanged}),
            "errors": _error_count(result.errors),
            "warnings": len(result.warnings),
        },
    )
    audit(
        "inventory.import_previewed",
        actor=access.user,
        organisation=access.organisation,
        target=job,
        target_label=safe_name,
        request=request,
        details=job.summary,
    )
    return job


def _differs(asset: Asset, data: dict[str, Any]) -> bool:
    values = _asset_values(data)
    if any(getattr(asset, name) != value for name, value in values.items()):
        return True
    parent = asset.parent.external_id if asset.parent is not None else None
    return parent != data["parent"]


@dataclass
class Committed:
    """What a commit wrote; the alert counts are those of its matching when it is already done
    (the immediate task backend), zero while a worker still matches."""

    created: int
    updated: int
    unchanged: int
    alerts_created: int
    alerts_updated: int
    alerts_closed: int


def _create_parents_first(
    to_create: list[Asset], by_id: dict[str, Asset], parent_of: dict[str, str]
) -> None:
    """INSERT new assets level by level, each with its parent already set when it is known.

    Setting parents in the INSERT saves a second UPDATE of every row (most of an SBOM's assets
    hang under a device). Parents that are not new are set below, with the other changes.
    """
    new = {id(asset) for asset in to_create}
    new_ids = [row_id for row_id, asset in by_id.items() if id(asset) in new]
    depth: dict[str, int] = {}
    for row_id in new_ids:
        chain: list[str] = []
        current = row_id
        while current not in depth:
            above = parent_of.get(current) or ""
            if above not in by_id or id(by_id[above]) not in new or above in chain:
                depth[current] = 0  # parent existing, missing, or (never from the readers) a cycle
                break
            chain.append(current)
            current = above
        level = depth[current]
        for member in reversed(chain):
            level += 1
            depth[member] = level
    levels: dict[int, list[str]] = defaultdict(list)
    for row_id in new_ids:
        levels[depth[row_id]].append(row_id)
    for level in sorted(levels):
        wave = [by_id[row_id] for row_id in levels[level]]
        for row_id in levels[level]:
            parent_asset = by_id.get(parent_of.get(row_id) or "")
            if parent_asset is not None and parent_asset.pk is not None:
                by_id[row_id].parent_id = parent_asset.pk
        Asset.objects.bulk_create(wave, batch_size=1000)


def commit(
    *, access: OrgAccess, job: InventoryImport, request: HttpRequest | None = None
) -> Committed:
    """Write the previewed assets and queue their matching, in one transaction."""
    access.require(Cap.EDIT_INVENTORY)
    if job.organisation_id != access.organisation.pk:
        raise PermissionDenied("import")
    with transaction.atomic():
        locked = InventoryImport.objects.select_for_update().get(pk=job.pk)
        if locked.state != InventoryImport.State.PREVIEW:
            raise ValidationError(
                _("This import cannot be committed (state: %(state)s).")
                % {"state": locked.get_state_display()}
            )
        source = FORMAT_SOURCES.get(locked.file_format, Source.CSV)
        records = locked.records
        existing = {
            a.external_id: a
            for a in Asset.objects.select_for_update().filter(
                organisation=access.organisation, external_id__in=[r["id"] for r in records]
            )
        }
        to_create: list[Asset] = []
        changed: list[Asset] = []
        unchanged = 0
        for data in records:
            values = _asset_values(data)
            asset = existing.get(data["id"])
            if asset is None:
                asset = Asset(
                    organisation=access.organisation,
                    external_id=data["id"][:300],
                    source=source,
                    **values,
                )
                to_create.append(asset)
                existing[data["id"]] = asset
            elif _differs(asset, data):
                for name, value in values.items():
                    setattr(asset, name, value)
                asset.source = source
                changed.append(asset)
            else:
                unchanged += 1
        _create_parents_first(to_create, existing, {r["id"]: r["parent"] for r in records})
        now = timezone.now()
        for asset in changed:
            asset.updated_at = now
        update_rows(Asset, changed, [*FIELDS, "source", "updated_at"])
        # Parents last: a row may name a parent that comes later in the file.
        reparented: list[Asset] = []
        for data in records:
            asset = existing[data["id"]]
            parent = existing.get(data["parent"]) if data["parent"] else None
            if parent is None and data["parent"]:
                parent = Asset.objects.filter(
                    organisation=access.organisation, external_id=data["parent"]
                ).first()
            parent_id = parent.pk if parent is not None else None
            if asset.parent_id != parent_id:
                asset.parent_id = parent_id
                reparented.append(asset)
        update_rows(Asset, reparented, ["parent"])
        touched = {a.pk: a for a in [*to_create, *changed, *reparented]}
        index_assets(touched.values())
        owe_assets(touched.values(), inventory_import_id=locked.pk)
        locked.state = InventoryImport.State.COMMITTED
        locked.committed_at = now
        locked.records = []  # the assets are in the inventory now; no need to keep a copy
        locked.match_state = InventoryImport.MatchState.QUEUED
        locked.save(update_fields=["state", "committed_at", "records", "match_state"])
        audit(
            "inventory.imported",
            actor=access.user,
            organisation=access.organisation,
            target=locked,
            target_label=locked.file_name,
            request=request,
            details={"created": len(to_create), "updated": len(changed), "unchanged": unchanged},
        )
        enqueue_matching(locked.pk)
    matched = (
        InventoryImport.objects.filter(pk=locked.pk).values_list("match_counts", flat=True).get()
    )
    return Committed(
        created=len(to_create),
        updated=len(
            {a.pk for a in changed} | {a.pk for a in reparented} - {a.pk for a in to_create}
        ),
        unchanged=unchanged,
        alerts_created=matched.get("alerts_created", 0),
        alerts_updated=matched.get("alerts_updated", 0),
        alerts_closed=matched.get("alerts_closed", 0),
    )


def discard(*, access: OrgAccess, job: InventoryImport) -> None:
    access.require(Cap.EDIT_INVENTORY)
    if job.organisation_id != access.organisation.pk:
        raise PermissionDenied("import")
    InventoryImport.objects.filter(pk=job.pk, state__in=["preview", "invalid"]).update(
        state=InventoryImport.State.DISCARDED, records=[]
    )

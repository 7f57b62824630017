"""REST API of the backups: status of a set sent by the sensor or a script.

    POST /api/v1/organisations/{slug}/backups/{set_id}/status
         {"tool": "restic", "kind": "snapshots", "output": "...", "exit_code": null}
    GET  /api/v1/organisations/{slug}/backups

Added to the API in `vigie.api.v1` (`api.add_router("/organisations", router)`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from vigie.accounts.models import User
from vigie.backups import actions
from vigie.backups.labels import finding_text, parse_error_text
from vigie.backups.models import BackupSet, Source
from vigie.backups.status import status_of, visible_sets
from vigie.engines.backups import ParseError
from vigie.tenancy.access import OrgAccess, org_access
from vigie.tenancy.roles import Cap, OrgKind

router = Router(tags=["backups"])


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise HttpError(401, _("Authentication required."))
    return user


def _access(request: HttpRequest, slug: str, capability: str = Cap.VIEW) -> OrgAccess:
    access = org_access(_user(request), slug, capability)
    if access.organisation.kind != OrgKind.ESTABLISHMENT:
        raise HttpError(404, _("Not found."))
    return access


def _set(access: OrgAccess, set_id: int) -> BackupSet:
    backup_set = visible_sets(access).filter(pk=set_id).first()
    if backup_set is None:
        raise HttpError(404, _("Not found."))
    return backup_set


class StatusIn(Schema):
    tool: str = Field("", max_length=16, description="restic or borg (the set's tool if empty)")
    kind: str = Field(
        "auto",
        max_length=16,
        description="backup, snapshots, check (restic); info, list, check (borg); auto",
    )
    output: str = Field(..., max_length=actions.MAX_STATUS_BYTES)
    exit_code: int | None = Field(None, ge=0, le=255, description="required for a check")
    source: str = Field("api", description="api or sensor")


class StatusOut(Schema):
    tool: str
    kind: str
    snapshots_new: int
    snapshots_known: int
    checks: int


class FindingOut(Schema):
    code: str
    text: str


class SetOut(Schema):
    id: int
    system: str
    tool: str
    rpo_hours: int
    rto_hours: int
    last_backup: datetime | None
    last_check_ok: bool | None
    rule_met: bool
    findings: list[FindingOut]


@router.get("/{slug}/backups", response=list[SetOut])
def list_sets(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    """The establishment's backup sets with their findings now."""
    access = _access(request, slug)
    now = timezone.now()
    result = []
    for backup_set in visible_sets(access):
        status = status_of(backup_set, now)
        result.append(
            {
                "id": backup_set.pk,
                "system": backup_set.system,
                "tool": backup_set.tool,
                "rpo_hours": backup_set.rpo_hours,
                "rto_hours": backup_set.rto_hours,
                "last_backup": status.last_snapshot.taken_at if status.last_snapshot else None,
                "last_check_ok": status.last_check.ok if status.last_check else None,
                "rule_met": status.rule_met,
                "findings": [{"code": f.code, "text": finding_text(f)} for f in status.findings],
            }
        )
    return result


@router.post("/{slug}/backups/{set_id}/status", response=StatusOut)
def post_status(request: HttpRequest, slug: str, set_id: int, payload: StatusIn) -> Any:
    """Send the output of a restic or borg command for a set: snapshots already known are
    stored once; a bad output is refused whole (422, with the line and field)."""
    access = _access(request, slug, Cap.MANAGE_BACKUPS)
    backup_set = _set(access, set_id)
    tool = payload.tool.strip().lower()
    if tool and backup_set.tool in ("restic", "borg") and tool != backup_set.tool:
        raise DjangoValidationError(
            {"tool": [_("This set is backed up with %(tool)s.") % {"tool": backup_set.tool}]}
        )
    if tool and tool not in ("restic", "borg"):
        raise DjangoValidationError({"tool": [_("Give restic or borg.")]})
    try:
        done = actions.ingest(
            access,
            backup_set,
            payload.output.encode("utf-8"),
            kind=payload.kind,
            tool=tool,
            exit_code=payload.exit_code,
            source=Source.SENSOR if payload.source == "sensor" else Source.API,
            request=request,
        )
    except ParseError as error:
        field = "exit_code" if error.code == "bad_exit_code" else "output"
        raise DjangoValidationError({field: [parse_error_text(error)]}) from None
    return {
        "tool": done.tool,
        "kind": done.kind,
        "snapshots_new": done.snapshots_new,
        "snapshots_known": done.snapshots_known,
        "checks": done.checks,
    }

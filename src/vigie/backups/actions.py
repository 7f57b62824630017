"""Every change to the backup sets, each in one transaction with its audit entry; the
ingestion of status files (all of a file or none of it); and the periodic check that
notifies each problem episode once (its `ProblemNotice` row beside the outbox rows).

Callers pass the access they were granted (`tenancy.access.org_access`); these functions
check again what that access may do, so no view can forget it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from vigie.audit.log import record as audit
from vigie.audit.models import Action
from vigie.backups.models import (
    BackupSet,
    IntegrityCheck,
    ProblemNotice,
    RestoreTest,
    Snapshot,
    Tool,
)
from vigie.backups.status import status_of
from vigie.engines.backups import Parsed, ParseError, detect_kind, parse
from vigie.engines.backups.evaluate import PROBLEM_CODES
from vigie.intel.refusal import Refused
from vigie.notify import outbox
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.roles import Cap, OrgKind

BACKUP_PROBLEM = "backup.problem"
MAX_STATUS_BYTES = 8 * 1024 * 1024
# Findings that are notified (the others show on the pages and in the readiness score): the
# ones someone must act on now. A set never checked or never restore-tested is told once too.
NOTIFIED = frozenset(PROBLEM_CODES)


class BackupRefused(Refused):
    """`code`: not_allowed, not_establishment."""


def _now() -> datetime:
    return timezone.now()


def _may_manage(access: OrgAccess) -> None:
    if access.organisation.kind != OrgKind.ESTABLISHMENT:
        raise BackupRefused("not_establishment")
    if not access.can(Cap.MANAGE_BACKUPS):
        raise BackupRefused("not_allowed")


@transaction.atomic
def save_set(
    access: OrgAccess,
    backup_set: BackupSet,
    assets: list[Any],
    *,
    request: Any = None,
) -> BackupSet:
    """Create or update `backup_set` (its fields already filled by the form)."""
    _may_manage(access)
    created = backup_set.pk is None
    if not created and backup_set.organisation_id != access.organisation.pk:
        raise BackupRefused("not_allowed")
    backup_set.organisation = access.organisation
    if created:
        backup_set.created_at = _now()
    backup_set.save()
    backup_set.assets.set([a for a in assets if a.organisation_id == access.organisation.pk])
    audit(
        Action.BACKUP_SET_SAVED,
        actor=access.user,
        organisation=access.organisation,
        target=backup_set,
        request=request,
        details={"system": backup_set.system, "created": created},
    )
    return backup_set


@transaction.atomic
def delete_set(access: OrgAccess, backup_set: BackupSet, *, request: Any = None) -> None:
    _may_manage(access)
    if backup_set.organisation_id != access.organisation.pk:
        raise BackupRefused("not_allowed")
    audit(
        Action.BACKUP_SET_DELETED,
        actor=access.user,
        organisation=access.organisation,
        target_label=backup_set.system,
        request=request,
        details={"system": backup_set.system, "id": backup_set.pk},
    )
    backup_set.delete()


@dataclass(frozen=True, slots=True)
class Ingested:
    tool: str
    kind: str
    snapshots_new: int = 0
    snapshots_known: int = 0
    checks: int = 0


def read_status(
    data: bytes, *, tool: str, kind: str, exit_code: int | None, received_at: datetime
) -> Parsed:
    """Decode and parse a status file; `kind` "auto" (or empty) detects it. Raises
    ParseError (too_large, not_utf8 and the engine's codes)."""
    if len(data) > MAX_STATUS_BYTES:
        raise ParseError("too_large", limit=MAX_STATUS_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ParseError("not_utf8", line=data.count(b"\n", 0, error.start) + 1) from None
    known = tool in (Tool.RESTIC, Tool.BORG)
    if not kind or kind == "auto" or not known:
        found_tool, found_kind = detect_kind(text, tool if known else "")
        if known and found_tool != tool:
            raise ParseError("wrong_tool", found=found_tool, tool=tool)
        tool = found_tool
        kind = found_kind if not kind or kind == "auto" else kind
    return parse(tool, kind, text, exit_code, received_at)


def ingest(
    access: OrgAccess,
    backup_set: BackupSet,
    data: bytes,
    *,
    kind: str,
    exit_code: int | None,
    source: str,
    tool: str = "",
    file_name: str = "",
    request: Any = None,
) -> Ingested:
    """Store what a status file says about `backup_set`, all of it or nothing; a snapshot
    already stored (same tool id) is completed with what it did not know, never duplicated."""
    _may_manage(access)
    if backup_set.organisation_id != access.organisation.pk:
        raise BackupRefused("not_allowed")
    now = _now()
    # The set's tool when it names one; for a set of "other" tool, what the caller says.
    tool = backup_set.tool if backup_set.tool != Tool.OTHER else tool
    parsed = read_status(data, tool=tool, kind=kind, exit_code=exit_code, received_at=now)
    new = known = 0
    with transaction.atomic():
        for item in parsed.snapshots:
            row = (
                Snapshot.objects.select_for_update()
                .filter(backup_set=backup_set, tool_id=item.tool_id)
                .first()
            )
            facts = {
                "data_added": item.data_added,
                "total_bytes": item.total_bytes,
                "files_new": item.files_new,
                "files_changed": item.files_changed,
                "files_unmodified": item.files_unmodified,
                "duration_s": item.duration_s,
            }
            if row is None:
                Snapshot.objects.create(
                    backup_set=backup_set,
                    tool_id=item.tool_id,
                    name=item.name,
                    taken_at=item.taken_at,
                    source=source,
                    ingested_at=now,
                    **facts,
                )
                new += 1
                continue
            known += 1
            changed = [k for k, v in facts.items() if v is not None and getattr(row, k) is None]
            for name in changed:
                setattr(row, name, facts[name])
            # A snapshot list knows the snapshot's own time; a backup summary before restic
            # 0.17 only when it was received.
            if parsed.kind != "backup" and row.taken_at != item.taken_at:
                row.taken_at = item.taken_at
                changed.append("taken_at")
            if item.name and not row.name:
                row.name = item.name
                changed.append("name")
            if changed:
                row.save(update_fields=changed)
        for check in parsed.checks:
            IntegrityCheck.objects.create(
                backup_set=backup_set,
                at=check.at,
                ok=check.ok,
                warning=check.warning,
                errors=check.errors,
                exit_code=exit_code if exit_code is not None else 0,
                excerpt=check.excerpt,
                source=source,
            )
        audit(
            Action.BACKUP_STATUS_INGESTED,
            actor=access.user,
            organisation=access.organisation,
            target=backup_set,
            request=request,
            details={
                "tool": parsed.tool,
                "kind": parsed.kind,
                "source": source,
                "file": file_name[:200],
                "snapshots_new": new,
                "snapshots_known": known,
                "checks": len(parsed.checks),
            },
        )
    return Ingested(
        tool=parsed.tool,
        kind=parsed.kind,
        snapshots_new=new,
        snapshots_known=known,
        checks=len(parsed.checks),
    )


@transaction.atomic
def record_restore_test(
    access: OrgAccess,
    backup_set: BackupSet,
    *,
    tested_on: date,
    duration_minutes: int | None,
    result: str,
    restored: str,
    performed_by: str,
    request: Any = None,
) -> RestoreTest:
    _may_manage(access)
    if backup_set.organisation_id != access.organisation.pk:
        raise BackupRefused("not_allowed")
    test = RestoreTest.objects.create(
        backup_set=backup_set,
        tested_on=tested_on,
        duration_minutes=duration_minutes,
        result=result,
        restored=restored,
        performed_by=performed_by,
        recorded_by=access.user,
        recorded_at=_now(),
    )
    audit(
        Action.RESTORE_TEST_RECORDED,
        actor=access.user,
        organisation=access.organisation,
        target=backup_set,
        request=request,
        details={
            "tested_on": tested_on.isoformat(),
            "result": result,
            "duration_minutes": duration_minutes,
        },
    )
    return test


# --- The periodic check ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckRun:
    sets: int
    notified: int


def _payload(backup_set: BackupSet, code: str, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "backup_set": backup_set.pk,
        "system": backup_set.system,
        "code": code,
        "params": {
            k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in params.items()
        },
        "organisation_slug": backup_set.organisation.slug,
        "organisation_name": backup_set.organisation.name,
        "url": set_url(backup_set),
    }


def set_url(backup_set: BackupSet) -> str:
    return f"{settings.VIGIE_BASE_URL}/o/{backup_set.organisation.slug}/backups/{backup_set.pk}/"


def _notify(backup_set: BackupSet, code: str, anchor: str, params: dict[str, Any]) -> bool:
    """One problem episode: its marker and its notifications in one transaction; False when
    another run already sent it."""
    try:
        with transaction.atomic():
            ProblemNotice.objects.create(
                backup_set=backup_set, code=code, anchor=anchor[:100], sent_at=_now()
            )
            payload = _payload(backup_set, code, params)
            outbox.enqueue_for_channels(
                organisation=backup_set.organisation,
                event=BACKUP_PROBLEM,
                payload=payload,
                email_template="notify/mail/backup",
                email_context={"payload": payload, "event": BACKUP_PROBLEM},
                idempotency_key=f"{BACKUP_PROBLEM}:{backup_set.pk}:{code}:{anchor[:100]}",
                related=f"backups.backupset:{backup_set.pk}",
            )
    except IntegrityError:
        return False
    return True


def check_all(now: datetime | None = None) -> CheckRun:
    """Evaluate every set; notify each problem episode not notified yet. Safe to run by
    several workers at once and to re-run after a crash (the notice row is the marker)."""
    now = now or _now()
    count = notified = 0
    rows = BackupSet.objects.filter(organisation__kind=OrgKind.ESTABLISHMENT).select_related(
        "organisation"
    )
    for backup_set in rows.iterator(chunk_size=200):
        count += 1
        status = status_of(backup_set, now)
        done = set(backup_set.notices.values_list("code", "anchor"))
        for finding in status.findings:
            if finding.code not in NOTIFIED or (finding.code, finding.anchor[:100]) in done:
                continue
            if _notify(backup_set, finding.code, finding.anchor, finding.params):
                notified += 1
    return CheckRun(sets=count, notified=notified)

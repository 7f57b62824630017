"""Reads: the sets an access may see, and each set's findings at `now` (the engine's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.http import Http404

from vigie.backups.models import BackupSet, IntegrityCheck, RestoreTest, Snapshot
from vigie.engines.backups import model as engine
from vigie.engines.backups.evaluate import evaluate, jumps, rule_met
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.roles import OrgKind


def visible_sets(access: OrgAccess) -> QuerySet[BackupSet]:
    """An establishment's own sets (nobody else reads them: the centre sees readiness only)."""
    if access.organisation.kind != OrgKind.ESTABLISHMENT:
        return BackupSet.objects.none()
    return BackupSet.objects.filter(organisation=access.organisation)


def get_set(access: OrgAccess, set_id: int) -> BackupSet:
    backup_set = visible_sets(access).filter(pk=set_id).first()
    if backup_set is None:
        raise Http404("backup set")
    return backup_set


def policy_of(backup_set: BackupSet) -> engine.Policy:
    return engine.Policy(
        rpo_hours=backup_set.rpo_hours,
        rto_hours=backup_set.rto_hours,
        copies=backup_set.copies_count,
        media=backup_set.media_count,
        offsite=backup_set.offsite,
        offline_or_immutable=backup_set.offline_or_immutable,
        restore_test_every_days=backup_set.restore_test_every_days,
    )


def snapshot_of(row: Snapshot) -> engine.Snapshot:
    return engine.Snapshot(
        tool_id=row.tool_id,
        taken_at=row.taken_at,
        data_added=row.data_added,
        total_bytes=row.total_bytes,
        files_new=row.files_new,
        duration_s=row.duration_s,
    )


@dataclass(frozen=True)
class SetStatus:
    backup_set: BackupSet
    findings: list[engine.Finding]
    last_snapshot: Snapshot | None
    last_check: IntegrityCheck | None
    last_restore: RestoreTest | None
    jump_ids: set[str]

    @property
    def codes(self) -> set[str]:
        return {f.code for f in self.findings}

    @property
    def rule_met(self) -> bool:
        return rule_met(self.findings)

    @property
    def ok(self) -> bool:
        return not self.findings


def status_of(backup_set: BackupSet, now: datetime) -> SetStatus:
    """The set as it stood at `now`: rows recorded after `now` are left out."""
    snapshots = list(
        backup_set.snapshots.filter(taken_at__lte=now, ingested_at__lte=now).order_by("taken_at")
    )
    checks = list(backup_set.checks.filter(at__lte=now).order_by("at", "pk"))
    tests = list(backup_set.restore_tests.filter(recorded_at__lte=now).order_by("tested_on", "pk"))
    as_engine = [snapshot_of(s) for s in snapshots]
    findings = evaluate(
        policy_of(backup_set),
        as_engine,
        [engine.Check(at=c.at, ok=c.ok, errors=c.errors, warning=c.warning) for c in checks],
        [
            engine.RestoreTest(
                tested_on=t.tested_on, duration_minutes=t.duration_minutes, result=t.result
            )
            for t in tests
        ],
        now,
    )
    return SetStatus(
        backup_set=backup_set,
        findings=findings,
        last_snapshot=snapshots[-1] if snapshots else None,
        last_check=checks[-1] if checks else None,
        last_restore=tests[-1] if tests else None,
        jump_ids=jumps(as_engine),
    )

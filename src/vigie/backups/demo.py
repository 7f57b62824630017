"""Demo backup sets. At the CHU: the patient record (DPI) fed by a real restic repository
made at demo time under VIGIE_HOME (when restic is installed), the PACS whose last backup
added twenty times more than usual (a ransomware sign), the Active Directory whose backups
stopped three days ago, the e-mail without an offline copy and a restore test long overdue.
At Montclair, a borg set in good order. Idempotent: a second run finds every set and adds
nothing."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from vigie.backups import actions
from vigie.backups.models import BackupSet, IntegrityCheck, RestoreTest, Snapshot, Source
from vigie.core.demo import DEMO_HISTORY, DemoReport, register_loader
from vigie.engines.backups import ParseError
from vigie.tenancy.access import OrgAccess
from vigie.tenancy.models import Membership, Organisation
from vigie.tenancy.roles import Role

MB = 1024 * 1024


@dataclass
class DemoSet:
    slug: str
    system: str
    tool: str
    schedule: str
    rpo_hours: int
    rto_hours: int
    copies: int
    media: int
    offsite: bool
    offline: bool
    # (hours ago, MB added) of each backup, oldest first
    backups: list[tuple[float, float]] = field(default_factory=list)
    checks: list[tuple[float, int]] = field(default_factory=list)  # (days ago, exit code)
    # (days ago, minutes, result, what, who)
    restores: list[tuple[int, int, str, str, str]] = field(default_factory=list)
    notes: str = ""
    real_restic: bool = False


def _daily(days: int, added_mb: float, last_hours_ago: float = 2.0) -> list[tuple[float, float]]:
    return [
        (last_hours_ago + 24.0 * (days - 1 - i), added_mb * (0.8 + 0.05 * (i % 5)))
        for i in range(days)
    ]


SETS = [
    DemoSet(
        slug="chu-val-de-loire",
        system="DPI — dossier patient informatisé",
        tool="restic",
        schedule="toutes les nuits à 01:00, et toutes les 4 heures en journée",
        rpo_hours=6,
        rto_hours=4,
        copies=3,
        media=2,
        offsite=True,
        offline=True,
        restores=[(40, 150, "success", "Base du DPI sur le serveur de test", "Équipe système")],
        notes="Dépôt restic sur le NAS du site, copie sur bande chaque semaine, copie "
        "immuable chez l'hébergeur HDS.",
        real_restic=True,
    ),
    DemoSet(
        slug="chu-val-de-loire",
        system="PACS — imagerie médicale",
        tool="restic",
        schedule="toutes les nuits à 02:00",
        rpo_hours=24,
        rto_hours=12,
        copies=3,
        media=2,
        offsite=True,
        offline=True,
        backups=[*_daily(12, 180.0, 26.0), (3.0, 4200.0)],
        checks=[(6, 0)],
        restores=[(90, 540, "success", "Examens d'une semaine de radiologie", "Équipe PACS")],
        notes="La dernière sauvegarde a ajouté vingt fois plus de données que d'habitude.",
    ),
    DemoSet(
        slug="chu-val-de-loire",
        system="Active Directory",
        tool="borg",
        schedule="toutes les nuits à 23:30",
        rpo_hours=24,
        rto_hours=4,
        copies=3,
        media=2,
        offsite=True,
        offline=True,
        backups=_daily(10, 12.0, 75.0),
        checks=[(9, 0)],
        restores=[(60, 95, "success", "Contrôleur de domaine restauré en isolé", "M. Lefèvre")],
        notes="Le serveur de sauvegarde ne répond plus depuis la mise à jour de vendredi.",
    ),
    DemoSet(
        slug="chu-val-de-loire",
        system="Messagerie",
        tool="restic",
        schedule="toutes les nuits à 03:00",
        rpo_hours=24,
        rto_hours=24,
        copies=2,
        media=1,
        offsite=True,
        offline=False,
        backups=_daily(8, 40.0, 5.0),
        checks=[(3, 0), (33, 1)],
        restores=[(400, 300, "partial", "Boîtes de la direction", "Prestataire messagerie")],
    ),
    DemoSet(
        slug="ch-montclair",
        system="Dossier patient (DxCare)",
        tool="borg",
        schedule="toutes les nuits à 00:30",
        rpo_hours=24,
        rto_hours=8,
        copies=3,
        media=2,
        offsite=True,
        offline=True,
        backups=_daily(10, 25.0, 4.0),
        checks=[(2, 0)],
        restores=[(30, 180, "success", "Base DxCare sur la machine de recette", "DSI")],
    ),
]


def _access(organisation: Organisation) -> OrgAccess | None:
    membership = (
        Membership.objects.filter(
            organisation=organisation, role__in=(Role.ADMIN, Role.SECURITY_OFFICER)
        )
        .select_related("user", "organisation")
        .order_by("role")
        .first()
    )
    if membership is None:
        return None
    return OrgAccess(user=membership.user, organisation=organisation, membership=membership)


def _recorded(backup_set: BackupSet, spec: DemoSet, now: datetime) -> None:
    for index, (hours_ago, added_mb) in enumerate(spec.backups):
        at = now - timedelta(hours=hours_ago)
        Snapshot.objects.get_or_create(
            backup_set=backup_set,
            tool_id=f"demo{backup_set.pk:04d}{index:04d}",
            defaults={
                "taken_at": at,
                "data_added": int(added_mb * MB),
                "total_bytes": int(added_mb * MB * 30),
                "files_new": int(added_mb * 3),
                "duration_s": 60.0 + added_mb / 4,
                "source": Source.DEMO,
                "ingested_at": at,
            },
        )
    for days_ago, exit_code in spec.checks:
        at = now - timedelta(days=days_ago)
        IntegrityCheck.objects.create(
            backup_set=backup_set,
            at=at,
            ok=exit_code in (0, 1) if spec.tool == "borg" else exit_code == 0,
            warning=spec.tool == "borg" and exit_code == 1,
            errors=0 if exit_code == 0 else 1,
            exit_code=exit_code,
            excerpt="no errors were found" if exit_code == 0 else "error: pack 3f2a… damaged",
            source=Source.DEMO,
        )


def _restic(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["restic", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _real_restic(access: OrgAccess, backup_set: BackupSet, report: DemoReport) -> bool:
    """A real restic repository under VIGIE_HOME/demo/restic-dpi: two backups of a small
    directory, then `snapshots --json` and `check` ingested like a sensor would."""
    if shutil.which("restic") is None:
        report.notes.append("backups: restic is not installed; the DPI set has no real history")
        return False
    home = Path(settings.VIGIE_HOME) / "demo" / "restic-dpi"
    data, repo, cache = home / "data", home / "repo", home / "cache"
    password = home / "password"
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not password.exists():
        password.write_text(secrets.token_urlsafe(24) + "\n", encoding="utf-8")
        os.chmod(password, 0o600)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "RESTIC_REPOSITORY": str(repo),
        "RESTIC_PASSWORD_FILE": str(password),
        "RESTIC_CACHE_DIR": str(cache),
    }
    try:
        if not (repo / "config").exists():
            initialised = _restic(["init"], env)
            if initialised.returncode != 0:
                report.notes.append("backups: restic init failed")
                return False
            data.mkdir(exist_ok=True)
            (data / "patients.csv").write_text(
                "ipp,nom,service\n"
                + "".join(f"{n:08d},Patient {n},Cardiologie\n" for n in range(2000)),
                encoding="utf-8",
            )
            _restic(["backup", "--json", "-q", str(data)], env)
            (data / "comptes-rendus.txt").write_text("Compte rendu\n" * 500, encoding="utf-8")
            _restic(["backup", "--json", "-q", str(data)], env)
        snapshots = _restic(["snapshots", "--json"], env)
        check = _restic(["check"], env)
    except (OSError, subprocess.TimeoutExpired):
        report.notes.append("backups: restic could not be run")
        return False
    try:
        actions.ingest(
            access,
            backup_set,
            snapshots.stdout.encode(),
            kind="snapshots",
            exit_code=None,
            source=Source.SENSOR,
            file_name="restic snapshots --json",
        )
        if not backup_set.checks.exists():
            actions.ingest(
                access,
                backup_set,
                (check.stdout + check.stderr).encode(),
                kind="check",
                exit_code=check.returncode,
                source=Source.SENSOR,
                file_name="restic check",
            )
    except ParseError:
        report.notes.append("backups: the demo restic repository gave an unreadable output")
        return False
    report.notes.append(f"backups: real restic repository in {repo}")
    return True


@register_loader(60, "backups")
def load(report: DemoReport) -> None:
    now = timezone.now()
    for spec in SETS:
        organisation = Organisation.objects.filter(slug=spec.slug).first()
        if organisation is None:
            continue
        access = _access(organisation)
        if access is None:
            continue
        backup_set = BackupSet.objects.filter(organisation=organisation, system=spec.system).first()
        created = backup_set is None
        if backup_set is None:
            backup_set = actions.save_set(
                access,
                BackupSet(
                    system=spec.system,
                    tool=spec.tool,
                    schedule=spec.schedule,
                    rpo_hours=spec.rpo_hours,
                    rto_hours=spec.rto_hours,
                    copies_count=spec.copies,
                    media_count=spec.media,
                    offsite=spec.offsite,
                    offline_or_immutable=spec.offline,
                    notes=spec.notes,
                ),
                [],
            )
        fed = spec.real_restic and _real_restic(access, backup_set, report)
        if not created:
            continue
        if spec.real_restic and not fed:
            spec = _fallback(spec)
        _recorded(backup_set, spec, now)
        # Declared long ago (its history is older than today): the readiness trend counts it.
        BackupSet.objects.filter(pk=backup_set.pk).update(created_at=now - DEMO_HISTORY)
        for days_ago, minutes, result, what, who in spec.restores:
            RestoreTest.objects.create(
                backup_set=backup_set,
                tested_on=(now - timedelta(days=days_ago)).date(),
                duration_minutes=minutes,
                result=result,
                restored=what,
                performed_by=who,
                recorded_by=access.user,
                recorded_at=now - timedelta(days=days_ago),
            )


def _fallback(spec: DemoSet) -> DemoSet:
    """The DPI's history when restic is not there: recorded, like the others."""
    values: dict[str, Any] = {**spec.__dict__, "backups": _daily(6, 20.0, 3.0), "checks": [(1, 0)]}
    return DemoSet(**values)

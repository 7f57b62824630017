"""The shipped catalogue into the database, idempotently: a module is rewritten only when its
files changed (its version, a hash of them), and one whose files are gone is retired, never
deleted (completions keep pointing to it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from vigie.training.catalogue import MODULES_DIR, load_catalogue
from vigie.training.models import TrainingModule


@dataclass(frozen=True, slots=True)
class SyncResult:
    created: int
    updated: int
    retired: int


@transaction.atomic
def sync_catalogue(folder: Path = MODULES_DIR) -> SyncResult:
    """Every file is parsed before anything is written: a bad file changes nothing."""
    modules = load_catalogue(folder)
    existing = {m.slug: m for m in TrainingModule.objects.filter(organisation=None)}
    created = updated = 0
    for module in modules:
        fr, en = module.texts["fr"], module.texts["en"]
        values = {
            "version": module.version,
            "title_fr": fr.title,
            "title_en": en.title,
            "minutes": module.minutes,
            "pass_mark": module.pass_mark,
            "content": {"fr": fr.as_json(), "en": en.as_json()},
            "active": True,
        }
        row = existing.get(module.slug)
        if row is None:
            TrainingModule.objects.create(organisation=None, slug=module.slug, **values)
            created += 1
        elif row.version != module.version or not row.active:
            for name, value in values.items():
                setattr(row, name, value)
            row.save()
            updated += 1
    shipped = {m.slug for m in modules}
    retired = (
        TrainingModule.objects.filter(organisation=None, active=True)
        .exclude(slug__in=shipped)
        .update(active=False)
    )
    return SyncResult(created=created, updated=updated, retired=retired)


_synced_in_process = False


def ensure_catalogue() -> None:
    """On first use in each process: the shipped files are compared with the database once
    (a new release's modules appear without a command to run)."""
    global _synced_in_process
    if _synced_in_process and TrainingModule.objects.filter(organisation=None).exists():
        return
    sync_catalogue()
    _synced_in_process = True

"""Backups of the critical systems (3-2-1-1-0): sets, status ingested from restic and borg,
restore tests, alerts."""

import importlib

from django.apps import AppConfig


class BackupsConfig(AppConfig):
    name = "vigie.backups"
    label = "backups"
    verbose_name = "Backups"

    def ready(self) -> None:
        # The periodic job and the readiness pillar register themselves on import.
        for module in ("vigie.backups.jobs", "vigie.backups.readiness"):
            importlib.import_module(module)

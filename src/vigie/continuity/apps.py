"""Continuity in degraded mode: per care unit, procedures, critical processes, mutual aid;
printable plans."""

import importlib

from django.apps import AppConfig


class ContinuityConfig(AppConfig):
    name = "vigie.continuity"
    label = "continuity"
    verbose_name = "Continuity"

    def ready(self) -> None:
        # The periodic job and the readiness pillar register themselves on import.
        for module in ("vigie.continuity.jobs", "vigie.continuity.readiness"):
            importlib.import_module(module)

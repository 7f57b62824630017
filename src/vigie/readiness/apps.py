"""Readiness at a glance: one page per establishment for its director, and the sector's for the
centre."""

import importlib

from django.apps import AppConfig


class ReadinessConfig(AppConfig):
    name = "vigie.readiness"
    label = "readiness"
    verbose_name = "Readiness"

    def ready(self) -> None:
        # Its own pillars, the dashboard section and the daily job register on import.
        for module in (
            "vigie.readiness.exposure",
            "vigie.readiness.incidents",
            "vigie.readiness.dashboard",
            "vigie.readiness.jobs",
        ):
            importlib.import_module(module)

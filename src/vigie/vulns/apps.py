import importlib

from django.apps import AppConfig


class VulnsConfig(AppConfig):
    name = "vigie.vulns"
    label = "vulns"
    verbose_name = "Vulnerabilities and alerts"

    def ready(self) -> None:
        # Periodic jobs and dashboard sections register themselves on import.
        for module in ("vigie.vulns.jobs", "vigie.vulns.dashboard", "vigie.vulns.signals"):
            importlib.import_module(module)

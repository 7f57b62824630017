import importlib

from django.apps import AppConfig


class IntelConfig(AppConfig):
    name = "vigie.intel"
    label = "intel"
    verbose_name = "Threat intelligence"

    def ready(self) -> None:
        # The dashboard section registers itself on import.
        importlib.import_module("vigie.intel.dashboard")

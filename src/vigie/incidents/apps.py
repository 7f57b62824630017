import importlib

from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "vigie.incidents"
    label = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        # The dashboard section and the periodic job register themselves on import.
        for module in ("vigie.incidents.dashboard", "vigie.incidents.jobs"):
            importlib.import_module(module)

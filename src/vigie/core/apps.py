import importlib

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "vigie.core"
    label = "core"
    verbose_name = "Vigie Santé core"

    def ready(self) -> None:
        # Registering checks and periodic jobs is a side effect of importing these modules.
        for module in ("vigie.checks", "vigie.core.jobs"):
            importlib.import_module(module)

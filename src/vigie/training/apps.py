import importlib

from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "vigie.training"
    label = "training"
    verbose_name = "Training"

    def ready(self) -> None:
        # The readiness pillar and the periodic job register themselves on import.
        for module in ("vigie.training.readiness", "vigie.training.jobs"):
            importlib.import_module(module)

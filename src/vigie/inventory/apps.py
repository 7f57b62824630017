import importlib

from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "vigie.inventory"
    label = "inventory"
    verbose_name = "Inventory"

    def ready(self) -> None:
        # The task must be known wherever a worker runs.
        importlib.import_module("vigie.inventory.jobs")

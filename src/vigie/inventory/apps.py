from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "vigie.inventory"
    label = "inventory"
    verbose_name = "Inventory"

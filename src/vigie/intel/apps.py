from django.apps import AppConfig


class IntelConfig(AppConfig):
    name = "vigie.intel"
    label = "intel"
    verbose_name = "Threat intelligence"

from django.apps import AppConfig


class ContinuityConfig(AppConfig):
    name = "vigie.continuity"
    label = "continuity"
    verbose_name = "Continuity"

from django.apps import AppConfig


class ReadinessConfig(AppConfig):
    name = "vigie.readiness"
    label = "readiness"
    verbose_name = "Readiness"

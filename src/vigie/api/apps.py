from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "vigie.api"
    label = "api"
    verbose_name = "REST API"

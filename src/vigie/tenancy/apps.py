from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "vigie.tenancy"
    label = "tenancy"
    verbose_name = "Organisations"

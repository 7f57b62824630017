from django.apps import AppConfig


class TaxiiConfig(AppConfig):
    name = "vigie.taxii"
    label = "taxii"
    verbose_name = "TAXII 2.1"

from django.apps import AppConfig


class BackupsConfig(AppConfig):
    name = "vigie.backups"
    label = "backups"
    verbose_name = "Backups"

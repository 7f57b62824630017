import importlib

from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "vigie.notify"
    label = "notify"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # The delivery sweeper registers itself as a periodic job on import; checks likewise.
        importlib.import_module("vigie.notify.jobs")
        importlib.import_module("vigie.notify.checks")

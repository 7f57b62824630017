import importlib

from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "vigie.notify"
    label = "notify"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # The outbox registers its watcher, releaser and periodic job on import; checks likewise.
        for module in ("vigie.notify.jobs", "vigie.notify.checks", "vigie.notify.operations"):
            importlib.import_module(module)

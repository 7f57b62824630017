"""Phishing simulations: campaigns to the establishment's own people, tracked links, results by
service."""

import importlib

from django.apps import AppConfig


class PhishingConfig(AppConfig):
    name = "vigie.phishing"
    label = "phishing"
    verbose_name = "Phishing"

    def ready(self) -> None:
        # The periodic sender and the readiness pillar register themselves on import.
        for module in ("vigie.phishing.jobs", "vigie.phishing.readiness"):
            importlib.import_module(module)

"""The yearly cyber crisis exercise: scenario, injects, roles, observations, lessons learned,
actions."""

import importlib

from django.apps import AppConfig


class ExercisesConfig(AppConfig):
    name = "vigie.exercises"
    label = "exercises"
    verbose_name = "Exercises"

    def ready(self) -> None:
        # The periodic job and the readiness pillar register themselves on import.
        for module in ("vigie.exercises.jobs", "vigie.exercises.readiness"):
            importlib.import_module(module)

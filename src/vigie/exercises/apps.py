from django.apps import AppConfig


class ExercisesConfig(AppConfig):
    name = "vigie.exercises"
    label = "exercises"
    verbose_name = "Exercises"

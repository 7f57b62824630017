from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "vigie.training"
    label = "training"
    verbose_name = "Training"

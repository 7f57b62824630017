from django.apps import AppConfig


class PhishingConfig(AppConfig):
    name = "vigie.phishing"
    label = "phishing"
    verbose_name = "Phishing"

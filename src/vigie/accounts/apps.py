from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "vigie.accounts"
    label = "accounts"
    verbose_name = "Accounts"

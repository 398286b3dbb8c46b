from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "kitabkhana.accounts"
    label = "accounts"
    verbose_name = "Institutions and staff"

from django.apps import AppConfig


class DepositConfig(AppConfig):
    name = "kitabkhana.deposit"
    label = "deposit"
    verbose_name = "Pre-publication cataloguing and legal deposit"

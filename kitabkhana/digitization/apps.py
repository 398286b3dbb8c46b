from django.apps import AppConfig


class DigitizationConfig(AppConfig):
    name = "kitabkhana.digitization"
    label = "digitization"
    verbose_name = "Digitization and remote access"

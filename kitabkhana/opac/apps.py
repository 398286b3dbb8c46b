from django.apps import AppConfig


class OpacConfig(AppConfig):
    name = "kitabkhana.opac"
    label = "opac"
    verbose_name = "Public catalogue"

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "kitabkhana.api"
    label = "api"
    verbose_name = "JSON API"

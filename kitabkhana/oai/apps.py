from django.apps import AppConfig


class OaiConfig(AppConfig):
    name = "kitabkhana.oai"
    label = "oai"
    verbose_name = "OAI-PMH data provider"

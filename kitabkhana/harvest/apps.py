from django.apps import AppConfig


class HarvestConfig(AppConfig):
    name = "kitabkhana.harvest"
    label = "harvest"
    verbose_name = "OAI-PMH harvesting"

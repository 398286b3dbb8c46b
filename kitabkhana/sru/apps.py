from django.apps import AppConfig


class SruConfig(AppConfig):
    name = "kitabkhana.sru"
    label = "sru"
    verbose_name = "SRU server and copy-cataloguing client"

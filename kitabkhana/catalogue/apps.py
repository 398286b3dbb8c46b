from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "kitabkhana.catalogue"
    label = "catalogue"
    verbose_name = "Catalogue"

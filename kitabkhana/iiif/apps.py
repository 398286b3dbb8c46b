from django.apps import AppConfig


class IiifConfig(AppConfig):
    name = "kitabkhana.iiif"
    label = "iiif"
    verbose_name = "IIIF Image, Presentation and Content Search APIs"

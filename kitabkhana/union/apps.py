from django.apps import AppConfig


class UnionConfig(AppConfig):
    name = "kitabkhana.union"
    label = "union"
    verbose_name = "Union catalogue (matching and clusters)"

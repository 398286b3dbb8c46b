from django.apps import AppConfig


class UnionConfig(AppConfig):
    name = "kitabkhana.union"
    label = "union"
    verbose_name = "Union catalogue (matching and clusters)"

    def ready(self) -> None:
        from kitabkhana.catalogue.signals import records_stored
        from kitabkhana.union.receivers import records_stored_received

        records_stored.connect(records_stored_received, dispatch_uid="union.records_match")

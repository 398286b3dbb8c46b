from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "kitabkhana.catalogue"
    label = "catalogue"
    verbose_name = "Catalogue"

    def ready(self) -> None:
        from kitabkhana.core.signals import serving_started

        serving_started.connect(_rebuild_a_missing_index, weak=False, dispatch_uid="kitabkhana.catalogue.reindex")


def _rebuild_a_missing_index(**_) -> None:
    # In the background: the site serves from the database meanwhile, and search fills as it goes.
    from kitabkhana.catalogue.services.indexing import index_missing
    from kitabkhana.tasks.services import task_enqueue

    if index_missing():
        task_enqueue(name="catalogue.reindex")

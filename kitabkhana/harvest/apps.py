from django.apps import AppConfig


class HarvestConfig(AppConfig):
    name = "kitabkhana.harvest"
    label = "harvest"
    verbose_name = "OAI-PMH harvesting"

    def ready(self) -> None:
        from kitabkhana.core.signals import serving_started
        from kitabkhana.harvest.services import harvest_scheduler_start

        serving_started.connect(harvest_scheduler_start, weak=False, dispatch_uid="kitabkhana.harvest.scheduler")

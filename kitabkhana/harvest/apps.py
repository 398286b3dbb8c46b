from django.apps import AppConfig


class HarvestConfig(AppConfig):
    name = "kitabkhana.harvest"
    label = "harvest"
    verbose_name = "OAI-PMH harvesting"

    def ready(self) -> None:
        from kitabkhana.harvest.services import harvests_schedule
        from kitabkhana.tasks.scheduler import periodic_job_register

        periodic_job_register(name="harvest", run=harvests_schedule, switch_setting="HARVEST_SCHEDULER",
                              interval_setting="HARVEST_SCHEDULER_INTERVAL", default_interval=60)

from django.apps import AppConfig


class DepositConfig(AppConfig):
    name = "kitabkhana.deposit"
    label = "deposit"
    verbose_name = "Pre-publication cataloguing and legal deposit"

    def ready(self) -> None:
        from kitabkhana.deposit.services import claims_schedule
        from kitabkhana.tasks.scheduler import periodic_job_register

        periodic_job_register(name="deposit-claims", run=claims_schedule, switch_setting="DEPOSIT_CLAIMS_SCHEDULE",
                              interval_setting="DEPOSIT_CLAIMS_INTERVAL", default_interval=6 * 3600)

from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "kitabkhana.tasks"
    label = "tasks"
    verbose_name = "Background tasks"

    def ready(self) -> None:
        from kitabkhana.core.signals import serving_started
        from kitabkhana.tasks.scheduler import scheduler_start
        from kitabkhana.tasks.services import tasks_resubmit_queued

        serving_started.connect(lambda **_: tasks_resubmit_queued(), weak=False,
                                dispatch_uid="kitabkhana.tasks.resubmit")
        # The periodic jobs other apps register (harvest schedule, deposit claims) run in one thread.
        serving_started.connect(scheduler_start, weak=False, dispatch_uid="kitabkhana.tasks.scheduler")

from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "kitabkhana.tasks"
    label = "tasks"
    verbose_name = "Background tasks"

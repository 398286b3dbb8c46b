from __future__ import annotations

from django.db.models import QuerySet

from kitabkhana.tasks.models import TaskRun, TaskStatus


def task_run_get(*, run_id) -> TaskRun | None:
    return TaskRun.objects.filter(pk=run_id).first()


def task_runs_recent(*, user=None, limit: int = 20) -> QuerySet[TaskRun]:
    runs = TaskRun.objects.all()
    if user is not None and not user.is_superuser:
        runs = runs.filter(created_by=user)
    return runs[:limit]


def task_pending(*, name: str, **arguments) -> bool:
    """Whether a run of the task (with these arguments, when given) is queued or running."""
    runs = TaskRun.objects.filter(name=name, status__in=[TaskStatus.QUEUED, TaskStatus.RUNNING])
    for key, value in arguments.items():
        runs = runs.filter(**{f"arguments__{key}": value})
    return runs.exists()

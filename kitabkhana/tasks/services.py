"""Enqueue and execute task runs; the backend only decides where ``task_execute`` is called."""

from __future__ import annotations

import logging
import time
import traceback
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kitabkhana.core.backends import load_backend
from kitabkhana.tasks.models import TaskRun, TaskStatus
from kitabkhana.tasks.registry import task_function

log = logging.getLogger(__name__)


class DatabaseProgress:
    """Progress written to the TaskRun row, at most every ``interval`` seconds so a hot loop stays fast."""

    def __init__(self, run_id: uuid.UUID, interval: float = 0.5):
        self.run_id = run_id
        self.interval = interval
        self._last = 0.0

    def set_total(self, total: int | None) -> None:
        TaskRun.objects.filter(pk=self.run_id).update(total=total)

    def advance(self, done: int, message: str = "") -> None:
        now = time.monotonic()
        if now - self._last < self.interval:
            return
        self._last = now
        TaskRun.objects.filter(pk=self.run_id).update(done=done, message=message[:2000])


def task_backend():
    return load_backend(settings.KITABKHANA["TASK_BACKEND"])


def task_enqueue(*, name: str, arguments: dict[str, Any] | None = None, created_by=None) -> TaskRun:
    task_function(name)  # fail now, in the request, for a name nobody registered
    run = TaskRun.objects.create(name=name, arguments=arguments or {}, created_by=created_by)
    backend = task_backend()
    transaction.on_commit(lambda: backend.submit(run.pk))
    return run


def task_execute(run_id: uuid.UUID | str) -> TaskRun | None:
    """Run a queued task once; a run already claimed elsewhere is left alone (safe to call twice)."""
    claimed = TaskRun.objects.filter(pk=run_id, status=TaskStatus.QUEUED).update(
        status=TaskStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    run = TaskRun.objects.get(pk=run_id)
    progress = DatabaseProgress(run.pk)
    try:
        result = task_function(run.name)(progress=progress, **run.arguments)
    except Exception as exc:  # a task's failure is recorded on its run for staff to read, not lost in a log
        log.exception("task %s (%s) failed", run.name, run.pk)
        TaskRun.objects.filter(pk=run.pk).update(
            status=TaskStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc(limit=8)}",
            finished_at=timezone.now(),
        )
    else:
        TaskRun.objects.filter(pk=run.pk).update(
            status=TaskStatus.DONE, result=result or {}, finished_at=timezone.now(), message=""
        )
    return TaskRun.objects.get(pk=run.pk)


def task_claim_next() -> uuid.UUID | None:
    """The oldest queued run, for a database-polling worker."""
    return TaskRun.objects.filter(status=TaskStatus.QUEUED).order_by("created_at").values_list("pk", flat=True).first()


def tasks_resubmit_queued() -> int:
    """Hand runs queued before a restart to the backend; otherwise they wait for a worker nobody started."""
    run_ids = list(TaskRun.objects.filter(status=TaskStatus.QUEUED).values_list("pk", flat=True))
    for run_id in run_ids:
        task_backend().submit(run_id)
    return len(run_ids)

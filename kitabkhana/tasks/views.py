from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, JsonResponse
from django.shortcuts import render

from kitabkhana.tasks.selectors import task_run_get


def _run_or_404(run_id):
    run = task_run_get(run_id=run_id)
    if run is None:
        raise Http404("no such task run")
    return run


@staff_member_required
def task_status(request, run_id):
    """The run's status as JSON, polled by the staff page while an upload is imported."""
    run = _run_or_404(run_id)
    return JsonResponse(
        {
            "id": str(run.pk),
            "name": run.name,
            "status": run.status,
            "done": run.done,
            "total": run.total,
            "percent": run.percent,
            "message": run.message,
            "result": run.result,
            "error": run.error.splitlines()[0] if run.error else "",
        }
    )


@staff_member_required
def task_detail(request, run_id):
    return render(request, "tasks/detail.html", {"run": _run_or_404(run_id)})

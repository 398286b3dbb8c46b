"""Staff pages for harvesting: sources with their last run, add/edit, "Harvest now", run detail (thin views)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kitabkhana.accounts.decorators import cataloguer_required
from kitabkhana.core.errors import NotFound, ValidationFailed
from kitabkhana.harvest import selectors
from kitabkhana.harvest.forms import HarvestSourceForm
from kitabkhana.harvest.services import harvest_source_create, harvest_source_update
from kitabkhana.tasks.services import task_enqueue


def _source_or_404(code: str):
    try:
        return selectors.harvest_source_get(code=code)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


@cataloguer_required
def source_list(request):
    return render(request, "harvest/sources.html", {"sources": selectors.harvest_sources()})


@cataloguer_required
def source_add(request):
    form = HarvestSourceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            source = harvest_source_create(**form.cleaned_data)
        except ValidationFailed as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("harvest:source", code=source.code)
    return render(request, "harvest/source_form.html", {"form": form, "source": None},
                  status=400 if request.method == "POST" else 200)


@cataloguer_required
def source_edit(request, code: str):
    source = _source_or_404(code)
    initial = {"code": source.code, "name": source.name, "base_url": source.base_url,
               "institution": source.institution, "metadata_prefix": source.metadata_prefix,
               "set_spec": source.set_spec, "every_hours": source.every_hours, "enabled": source.enabled}
    form = HarvestSourceForm(request.POST or None, initial=initial)
    form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "code"}
        try:
            harvest_source_update(source=source, **data)
        except ValidationFailed as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("harvest:source", code=source.code)
    return render(request, "harvest/source_form.html", {"form": form, "source": source},
                  status=400 if request.method == "POST" else 200)


@cataloguer_required
def source_detail(request, code: str):
    source = _source_or_404(code)
    return render(request, "harvest/source.html", {
        "source": source, "runs": selectors.harvest_runs(source=source),
        "resumable": selectors.harvest_run_resumable(source=source),
        "busy": selectors.harvest_task_pending(source=source),
    })


@cataloguer_required
@require_POST
def harvest_now(request, code: str):
    source = _source_or_404(code)
    run = task_enqueue(name="harvest.run", created_by=request.user, arguments={
        "source": source.code, "resume": request.POST.get("resume") == "1", "user_id": request.user.pk,
    })
    return redirect("tasks:detail", run_id=run.pk)


@cataloguer_required
def run_detail(request, run_id: int):
    try:
        run = selectors.harvest_run_get(run_id=run_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    rejections = run.import_job.rejections.all()[:500] if run.import_job else []
    return render(request, "harvest/run.html", {"run": run, "rejections": rejections})

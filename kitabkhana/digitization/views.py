"""Staff pages of the digitization lines (thin views): projects with their figures, a project's items, batches
and days, an item's pages, QA findings and stage history with the forms that move it, and the ingest form that
queues the "digitization.ingest" task. Any cataloguer may look; only staff of the project's institution (or an
administrator) may change anything, others get 404 as if the project were not there."""

from __future__ import annotations

import json

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kitabkhana.accounts.decorators import cataloguer_required
from kitabkhana.accounts.models import Role
from kitabkhana.accounts.selectors import staff_institution, staff_role
from kitabkhana.catalogue.models import Holding
from kitabkhana.catalogue.selectors import record_get
from kitabkhana.core.errors import NotFound, ValidationFailed
from kitabkhana.digitization import line_selectors
from kitabkhana.digitization.forms import (
    AccessForm,
    BatchForm,
    GroundTruthForm,
    IngestForm,
    ItemAddForm,
    StageForm,
)
from kitabkhana.digitization.models import DigitalItem, Project
from kitabkhana.digitization.selectors import batch_cer, item_ocr_pages
from kitabkhana.digitization.services.ingest import folder_check, ingest_roots
from kitabkhana.digitization.services.lines import (
    MOVES,
    batch_create,
    batch_get_or_create,
    item_access_update,
    item_add,
    item_stage_move,
)
from kitabkhana.digitization.services.ocr import ocr_ground_truth_set
from kitabkhana.tasks.services import task_enqueue


def _project_or_404(code: str) -> Project:
    try:
        return line_selectors.project_get(code=code)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _item_or_404(item_id: int) -> DigitalItem:
    try:
        return line_selectors.item_get(item_id=item_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _may_write(user, project: Project) -> bool:
    if staff_role(user) == Role.ADMIN:
        return True
    institution = staff_institution(user)
    return institution is not None and institution.pk == project.institution_id


def _writable(request, project: Project) -> None:
    if not _may_write(request.user, project):
        raise Http404("no such project among your institution's")


@cataloguer_required
def project_list(request):
    return render(request, "digitization/projects.html", {"figures": line_selectors.project_figures()})


def _project_page(request, project: Project, *, item_form=None, batch_form=None, status: int = 200):
    return render(request, "digitization/project.html", {
        "project": project, "figures": line_selectors.project_figures(project)[0],
        "items": line_selectors.project_items(project), "batches": project.batches.all(),
        "days": line_selectors.figures_per_day(project=project)[:60],
        "may_write": _may_write(request.user, project),
        "item_form": item_form or ItemAddForm(), "batch_form": batch_form or BatchForm(),
        "batch_cers": [(batch, batch_cer(batch=batch)) for batch in project.batches.all()],
    }, status=status)


@cataloguer_required
def project_detail(request, code: str):
    return _project_page(request, _project_or_404(code))


@cataloguer_required
@require_POST
def batch_add(request, code: str):
    project = _project_or_404(code)
    _writable(request, project)
    form = BatchForm(request.POST)
    if form.is_valid():
        try:
            batch_create(project=project, name=form.cleaned_data["name"], user=request.user)
        except ValidationFailed as exc:
            form.add_error("name", str(exc))
        else:
            return redirect("digitization:project", code=project.code)
    return _project_page(request, project, batch_form=form, status=400)


@cataloguer_required
def item_add_view(request, code: str):
    project = _project_or_404(code)
    _writable(request, project)
    form = ItemAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record = record_get(record_id=data["record"])
            holding = None
            if data["holding"]:
                holding = Holding.objects.filter(record=record, barcode=data["holding"].strip()).first()
                if holding is None:
                    raise ValidationFailed(f"record {record.pk} has no holding with barcode {data['holding']!r}")
            batch = batch_get_or_create(project=project, name=data["batch"], user=request.user) \
                if data["batch"].strip() else None
            item = item_add(project=project, record=record, holding=holding, batch=batch, access=data["access"],
                            user=request.user)
        except (NotFound, ValidationFailed) as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("digitization:item", item_id=item.pk)
    return render(request, "digitization/item_add.html", {"project": project, "form": form},
                  status=400 if request.method == "POST" else 200)


def _item_page(request, item: DigitalItem, *, stage_form=None, access_form=None, ground_truth_form=None,
               status: int = 200):
    access_form = access_form or AccessForm(initial={
        "access": item.access, "embargo_until": item.embargo_until, "downloadable": item.downloadable,
        "rights": item.rights,
        "structure": json.dumps(item.structure, ensure_ascii=False) if item.structure else "",
    })
    findings = line_selectors.item_findings(item)
    return render(request, "digitization/item.html", {
        "item": item, "project": item.project, "pages": line_selectors.item_pages(item), "findings": findings,
        "blocking": sum(1 for f in findings if f.blocking), "events": line_selectors.item_events(item),
        "moves": [DigitalItem.Stage(s) for s in MOVES[item.stage]],
        "may_write": _may_write(request.user, item.project),
        "stage_form": stage_form or StageForm(), "access_form": access_form,
        "ground_truth_form": ground_truth_form or GroundTruthForm(),
        "ocr_pages": item_ocr_pages(item), "access_changes": item.access_changes.select_related("user"),
    }, status=status)


@cataloguer_required
def item_detail(request, item_id: int):
    return _item_page(request, _item_or_404(item_id))


@cataloguer_required
@require_POST
def item_stage(request, item_id: int):
    item = _item_or_404(item_id)
    _writable(request, item.project)
    form = StageForm(request.POST)
    if form.is_valid():
        try:
            item_stage_move(item=item, stage=form.cleaned_data["stage"], user=request.user,
                            reason=form.cleaned_data["reason"], override=form.cleaned_data["override"])
        except ValidationFailed as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("digitization:item", item_id=item.pk)
    return _item_page(request, item, stage_form=form, status=400)


@cataloguer_required
@require_POST
def item_access(request, item_id: int):
    item = _item_or_404(item_id)
    _writable(request, item.project)
    form = AccessForm(request.POST)
    if form.is_valid():
        try:
            item_access_update(item=item, user=request.user, **form.cleaned_data)
        except ValidationFailed as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("digitization:item", item_id=item.pk)
    return _item_page(request, item, access_form=form, status=400)


@cataloguer_required
def item_ingest(request, item_id: int):
    item = _item_or_404(item_id)
    _writable(request, item.project)
    form = IngestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            folder = folder_check(form.cleaned_data["folder"], roots=ingest_roots())
        except ValidationFailed as exc:
            form.add_error("folder", str(exc))
        else:
            run = task_enqueue(name="digitization.ingest", created_by=request.user, arguments={
                "item": item.pk, "folder": str(folder), "user_id": request.user.pk,
                "publish": form.cleaned_data["publish"], "ocr": form.cleaned_data["ocr"],
            })
            return redirect("tasks:detail", run_id=run.pk)
    return render(request, "digitization/ingest.html", {"item": item, "form": form, "roots": ingest_roots()},
                  status=400 if request.method == "POST" else 200)


@cataloguer_required
@require_POST
def item_ground_truth(request, item_id: int):
    """A page's transcription typed by staff: the page's character error rate is measured against it."""
    item = _item_or_404(item_id)
    _writable(request, item.project)
    form = GroundTruthForm(request.POST)
    if form.is_valid():
        page = item.pages.filter(order=form.cleaned_data["page"]).first()
        if page is None:
            form.add_error("page", _("No page %(n)s in this item.") % {"n": form.cleaned_data["page"]})
        else:
            try:
                ocr_ground_truth_set(page=page, text=form.cleaned_data["text"])
            except ValidationFailed as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("digitization:item", item_id=item.pk)
    return _item_page(request, item, ground_truth_form=form, status=400)

"""Staff pages: the MARC editor, history and restore, holdings, and file upload (thin: validate, call, render)."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kitabkhana.accounts.decorators import cataloguer_required
from kitabkhana.accounts.models import Institution
from kitabkhana.accounts.selectors import institution_get, staff_institution
from kitabkhana.accounts.services import institution_default
from kitabkhana.catalogue import editor
from kitabkhana.catalogue.models import ImportJob
from kitabkhana.catalogue.selectors import (
    catalogue_counts,
    import_jobs_recent,
    record_get,
    record_marc,
    record_version_diff,
    record_versions,
)
from kitabkhana.catalogue.services.importing import FLAVOURS, FORMATS, MATCH_RULES
from kitabkhana.catalogue.services.records import holding_create, record_create, record_restore, record_update
from kitabkhana.core.errors import ConcurrentEdit, NotFound, ValidationFailed
from kitabkhana.marc.profile import load_profile, validate
from kitabkhana.tasks.selectors import task_runs_recent
from kitabkhana.tasks.services import task_enqueue


def _record_or_404(record_id: int):
    try:
        return record_get(record_id=record_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _user_institution(request) -> Institution:
    return staff_institution(request.user) or institution_default()


@cataloguer_required
def staff_home(request):
    return render(request, "catalogue/staff_home.html", {
        "counts": catalogue_counts(), "jobs": import_jobs_recent(10), "runs": task_runs_recent(user=request.user, limit=10),
    })


def _editor_context(form, flavour: str, **extra) -> dict:
    leader_helpers = [(start, width, label, form.leader[start : start + width])
                      for start, width, label in editor.LEADER_POSITIONS[flavour]]
    f008 = next((row for row in form.rows if row.tag == "008"), None) if flavour == "marc21" else None
    f008_helpers = [(start, width, label, (f008.value.ljust(40))[start : start + width])
                    for start, width, label in editor.F008_POSITIONS] if f008 else []
    return {"form": form, "flavour": flavour, "leader_helpers": leader_helpers, "f008_helpers": f008_helpers,
            "blank_rows": range(3), **extra}


def _check(form, flavour: str):
    """Build and validate; returns (record or None, messages not tied to a row, has_errors)."""
    marc = editor.record_from_form(form)
    if marc is None:
        return None, [], True
    kind = "authority" if form.leader[6:7] == "z" else "bibliographic"
    found = validate(marc, load_profile(flavour, kind))
    general = editor.attach_messages(form, found)
    return marc, general, any(m.severity == "error" for m in found)


@cataloguer_required
def record_new(request):
    flavour = request.POST.get("flavour") or request.GET.get("flavour") or "marc21"
    if flavour not in FLAVOURS:
        raise Http404("unknown flavour")
    institution = _user_institution(request)
    if request.method != "POST":
        form = editor.new_record_form(flavour, institution.code, timezone.now().strftime("%y%m%d"))
        return render(request, "catalogue/editor.html", _editor_context(form, flavour, record=None))
    form = editor.form_from_post(request.POST, flavour)
    marc, general, has_errors = _check(form, flavour)
    if has_errors or request.POST.get("action") == "check":
        return render(request, "catalogue/editor.html",
                      _editor_context(form, flavour, record=None, general=general, checked=True))
    try:
        record = record_create(marc_record=marc, flavour=flavour, institution=institution, user=request.user,
                               note="created in the editor")
    except ValidationFailed as exc:
        return render(request, "catalogue/editor.html",
                      _editor_context(form, flavour, record=None, general=[str(exc)], checked=True))
    messages.success(request, _("Record %(id)s created.") % {"id": record.pk})
    return redirect("catalogue:record-edit", record_id=record.pk)


@cataloguer_required
def record_edit(request, record_id: int):
    record = _record_or_404(record_id)
    if request.method != "POST":
        form = editor.form_from_record(record_marc(record))
        return render(request, "catalogue/editor.html",
                      _editor_context(form, record.flavour, record=record, version=record.version))
    form = editor.form_from_post(request.POST, record.flavour)
    try:
        expected = int(request.POST.get("version", ""))
    except ValueError:
        raise PermissionDenied("the form lost its version number; reload the record") from None
    marc, general, has_errors = _check(form, record.flavour)
    context = dict(record=record, version=expected, general=general, checked=True)
    if has_errors or request.POST.get("action") == "check":
        return render(request, "catalogue/editor.html", _editor_context(form, record.flavour, **context))
    try:
        record_update(record=record, marc_record=marc, expected_version=expected, user=request.user,
                      institution=_user_institution(request), note=request.POST.get("note", ""))
    except ConcurrentEdit as exc:
        context.update(conflict=str(exc), current_version=exc.current_version)
        return render(request, "catalogue/editor.html", _editor_context(form, record.flavour, **context), status=409)
    except ValidationFailed as exc:
        context["general"] = [*general, str(exc)]
        return render(request, "catalogue/editor.html", _editor_context(form, record.flavour, **context))
    messages.success(request, _("Saved as version %(v)s.") % {"v": expected + 1})
    return redirect("catalogue:record-edit", record_id=record.pk)


@cataloguer_required
def record_history(request, record_id: int):
    record = _record_or_404(record_id)
    versions = list(record_versions(record))
    for v in versions:
        v.changes = record_version_diff(record, v.version)
    return render(request, "catalogue/history.html", {"record": record, "versions": versions})


@cataloguer_required
@require_POST
def record_restore_view(request, record_id: int, version: int):
    record = _record_or_404(record_id)
    try:
        record_restore(record=record, version=version, expected_version=int(request.POST["expected_version"]),
                       user=request.user)
    except (ConcurrentEdit, NotFound) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Version %(v)s restored as a new version.") % {"v": version})
    return redirect("catalogue:record-history", record_id=record.pk)


@cataloguer_required
@require_POST
def holding_add(request, record_id: int):
    record = _record_or_404(record_id)
    try:
        institution = institution_get(code=request.POST.get("institution") or _user_institution(request).code)
        holding_create(record=record, institution=institution, location=request.POST.get("location", ""),
                       call_number=request.POST.get("call_number", ""), barcode=request.POST.get("barcode", ""))
    except (ValidationFailed, NotFound) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Holding added."))
    return redirect("catalogue:record-edit", record_id=record.pk)


@cataloguer_required
def import_upload(request):
    institutions = Institution.objects.all()
    context = {"institutions": institutions, "match_rules": MATCH_RULES, "flavours": FLAVOURS, "formats": FORMATS,
               "default_institution": _user_institution(request).code}
    if request.method != "POST":
        return render(request, "catalogue/import.html", context)
    upload = request.FILES.get("file")
    match = request.POST.get("match", "skip")
    flavour = request.POST.get("flavour") or None
    fmt = request.POST.get("format") or None
    problems = []
    if upload is None:
        problems.append(_("Choose a MARC file to upload."))
    if match not in MATCH_RULES or (flavour and flavour not in FLAVOURS) or (fmt and fmt not in FORMATS):
        problems.append(_("Unknown import option."))
    try:
        institution = institution_get(code=request.POST.get("institution") or context["default_institution"])
    except NotFound as exc:
        problems.append(str(exc))
    if problems:
        return render(request, "catalogue/import.html", {**context, "problems": problems}, status=400)
    uploads = Path(settings.KITABKHANA["DATA_DIR"]) / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    stored = uploads / f"{uuid.uuid4().hex}-{Path(upload.name).name}"
    with stored.open("wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    run = task_enqueue(name="catalogue.import_marc", created_by=request.user, arguments={
        "path": str(stored), "institution": institution.code, "match": match, "flavour": flavour, "format": fmt,
        "source_name": upload.name, "user_id": request.user.pk,
    })
    return redirect("tasks:detail", run_id=run.pk)


@cataloguer_required
def import_job_detail(request, job_id: int):
    job = ImportJob.objects.filter(pk=job_id).select_related("institution").first()
    if job is None:
        raise Http404("no such import")
    return render(request, "catalogue/import_job.html", {"job": job, "rejections": job.rejections.all()[:500]})

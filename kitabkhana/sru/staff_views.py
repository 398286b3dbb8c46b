"""Staff copy cataloguing: choose a partner's SRU server, search it, import a record (thin views)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kitabkhana.accounts.decorators import cataloguer_required
from kitabkhana.accounts.selectors import staff_institution
from kitabkhana.accounts.services import institution_default
from kitabkhana.core.errors import NotFound, ValidationFailed
from kitabkhana.sru.selectors import copy_search, simple_terms_to_cql, sru_targets
from kitabkhana.sru.services import copy_record_import

PAGE_SIZE = 10


def _target(target_id: str | None):
    targets = sru_targets()
    try:
        return targets.get(pk=int(target_id or ""))
    except (ValueError, targets.model.DoesNotExist):
        raise Http404(f"no enabled SRU target {target_id!r}") from None


def _positive(value: str | None, default: int) -> int:
    try:
        return max(1, int(value or default))
    except ValueError:
        return default


@cataloguer_required
def copy_search_page(request):
    targets = list(sru_targets())
    params = request.GET
    context = {"targets": targets, "mode": params.get("mode") or "words", "q": params.get("q", ""),
               "chosen": params.get("target") or "", "problems": [], "result": None}
    if params.get("q") and params.get("target"):
        target = _target(params["target"])
        try:
            query = simple_terms_to_cql(params["q"]) if context["mode"] == "words" else params["q"].strip()
            context["result"] = copy_search(target=target, query=query, start=_positive(params.get("start"), 1),
                                            maximum=PAGE_SIZE)
        except ValidationFailed as exc:
            context["problems"].append(str(exc))
    return render(request, "sru/copy_search.html", context)


@cataloguer_required
@require_POST
def copy_import(request):
    target = _target(request.POST.get("target"))
    institution = staff_institution(request.user) or institution_default()
    try:
        done = copy_record_import(
            target=target, query=request.POST.get("query", ""), position=_positive(request.POST.get("position"), 1),
            control_number=request.POST.get("control_number", ""), institution=institution, user=request.user,
        )
    except (ValidationFailed, NotFound) as exc:
        messages.error(request, str(exc))
        back = request.POST.get("back") or ""
        if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            return redirect(back)
        return redirect("sru-staff:copy-search")
    messages.success(request, _("Record %(id)s copied from %(target)s.") % {"id": done.record.pk, "target": target.name})
    for loss in done.losses:
        messages.warning(request, _("Not carried over by the crosswalk: %(loss)s") % {"loss": loss})
    return redirect("catalogue:record-edit", record_id=done.record.pk)

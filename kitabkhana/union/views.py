"""Staff pages of the union catalogue: a cluster's members side by side, split and merge (thin views)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kitabkhana.accounts.decorators import cataloguer_required
from kitabkhana.core.errors import NotFound, ValidationFailed
from kitabkhana.union.selectors import cluster_page, clusters_recent
from kitabkhana.union.services import cluster_merge, cluster_split, records_merge, records_separate


def _int(value: str | None, what: str) -> int:
    try:
        return int(value or "")
    except ValueError as exc:
        raise ValidationFailed(_("%(what)s must be a number") % {"what": what}) from exc


@cataloguer_required
def union_home(request):
    wanted = request.GET.get("cluster", "").strip()
    if wanted.isdigit():
        return redirect("union:cluster", cluster_id=int(wanted))
    return render(request, "union/home.html", {"events": clusters_recent()})


@cataloguer_required
def cluster_detail(request, cluster_id: int):
    try:
        page = cluster_page(cluster_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    return render(request, "union/cluster.html", page)


@cataloguer_required
@require_POST
def cluster_split_view(request, cluster_id: int):
    ids = [int(v) for v in request.POST.getlist("record") if v.isdigit()]
    try:
        new_id = cluster_split(cluster_id=cluster_id, record_ids=ids, user=request.user, note=request.POST.get("note", ""))
    except (ValidationFailed, NotFound) as exc:
        messages.error(request, str(exc))
        return redirect("union:cluster", cluster_id=cluster_id)
    messages.success(request, _("Records moved out; they will be kept apart from this cluster."))
    if new_id:
        return redirect("union:cluster", cluster_id=new_id)
    return redirect("union:cluster", cluster_id=cluster_id) if cluster_page_exists(cluster_id) else redirect("union:home")


def cluster_page_exists(cluster_id: int) -> bool:
    try:
        cluster_page(cluster_id)
    except NotFound:
        return False
    return True


@cataloguer_required
@require_POST
def cluster_merge_view(request, cluster_id: int):
    try:
        other = _int(request.POST.get("other"), _("The other cluster"))
        kept = cluster_merge(cluster_id=cluster_id, other_id=other, user=request.user, note=request.POST.get("note", ""))
    except (ValidationFailed, NotFound) as exc:
        messages.error(request, str(exc))
        return redirect("union:cluster", cluster_id=cluster_id)
    messages.success(request, _("Clusters merged; they will be kept together."))
    return redirect("union:cluster", cluster_id=kept)


@cataloguer_required
@require_POST
def records_decide_view(request):
    """Two records by id: put together (merge) or keep apart (separate)."""
    try:
        a = _int(request.POST.get("record"), _("The first record"))
        b = _int(request.POST.get("other"), _("The second record"))
        note = request.POST.get("note", "")
        if request.POST.get("action") == "separate":
            records_separate(record_id=a, other_record_id=b, user=request.user, note=note)
            messages.success(request, _("The records will be kept apart."))
            return redirect("union:home")
        kept = records_merge(record_id=a, other_record_id=b, user=request.user, note=note)
    except (ValidationFailed, NotFound) as exc:
        messages.error(request, str(exc))
        return redirect("union:home")
    messages.success(request, _("The records will be kept together."))
    return redirect("union:cluster", cluster_id=kept)

"""Presentation 3.0 manifests and collections, PDF downloads, and the staff page of an item's access log.

Every view asks the one access rule (``digitization.selectors.item_reading``) before it serves anything, logs
readings of restricted material, and refuses with 401 when signing in would help, 403 with the reason
otherwise, 404 for what the reader may not know exists (an unpublished item).
"""

from __future__ import annotations

import json

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from kitabkhana.accounts.selectors import staff_role
from kitabkhana.core.errors import NotFound, ValidationFailed
from kitabkhana.digitization.models import DigitalItem
from kitabkhana.digitization.selectors import (
    access_log_visible,
    item_access_log,
    item_open_to_all,
    item_pages,
    item_reading,
    project_get,
    project_published_items,
)
from kitabkhana.digitization.services.access import access_log_write
from kitabkhana.iiif.access import base_url, client_ip, manifest_url, reading_refusal, record_item_or_404
from kitabkhana.iiif.download import download_max_pages, page_range_parse, pages_pdf
from kitabkhana.iiif.presentation import MEDIA_TYPE, Links, collection_build, manifest_build


def _json(request: HttpRequest, document: dict, *, public: bool) -> HttpResponse:
    response = HttpResponse(json.dumps(document, ensure_ascii=False), content_type=MEDIA_TYPE)
    response["Access-Control-Allow-Origin"] = "*"
    # What a reader may see depends on who they are and where from: only open, published items are shared caches'.
    response["Cache-Control"] = "public, max-age=300" if public else "private, no-store"
    response["Vary"] = "Cookie"
    return response


def download_url(request: HttpRequest, item: DigitalItem, page_count: int) -> str | None:
    """The PDF of the whole item, or of its first pages up to the cap; None when downloads are not allowed."""
    if not item.downloadable or page_count == 0:
        return None
    url = request.build_absolute_uri(reverse("iiif:download", args=[item.record_id]))
    limit = download_max_pages()
    return f"{url}?from=1&to={limit}" if page_count > limit else url


@require_safe
def manifest(request: HttpRequest, record_id: int) -> HttpResponse:
    item = record_item_or_404(request, record_id)
    reading = item_reading(item, user=request.user, ip=client_ip(request))
    if not reading.allowed:
        return reading_refusal(request, item, reading)
    pages = list(item_pages(item))
    base = base_url(request)
    links = Links(
        base=base,
        manifest=manifest_url(base, record_id),
        record_page=request.build_absolute_uri(reverse("opac:record", args=[record_id])),
        marcxml=request.build_absolute_uri(reverse("opac:record-download", args=[record_id]) + "?format=marcxml"),
        search=f"{base}/iiif/search/{record_id}",
        download=download_url(request, item, len(pages)),
    )
    document = manifest_build(item=item, pages=pages, links=links)
    if reading.logged:
        access_log_write(item=item, user=request.user, ip=client_ip(request), what="manifest")
    return _json(request, document, public=item_open_to_all(item))


@require_safe
def collection(request: HttpRequest, project_code: str) -> HttpResponse:
    try:
        project = project_get(code=project_code)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    base = base_url(request)
    user, ip = request.user, client_ip(request)
    # Items the reader may not read are left out, not listed to be refused one by one.
    items = list(project_published_items(project))
    entries = [(item, manifest_url(base, item.record_id)) for item in items
               if item_reading(item, user=user, ip=ip).allowed]
    document = collection_build(project=project, entries=entries,
                                collection_id=f"{base}/iiif/collection/{project.code}")
    # The same for everyone only when every item is open to all (reading rooms and accounts change the list).
    return _json(request, document, public=all(item_open_to_all(item) for item in items))


@require_safe
def download(request: HttpRequest, record_id: int) -> HttpResponse:
    item = record_item_or_404(request, record_id)
    reading = item_reading(item, user=request.user, ip=client_ip(request))
    if not reading.allowed:
        return reading_refusal(request, item, reading)
    if not item.downloadable:
        return JsonResponse({"error": "downloads are not allowed for this item"}, status=403)
    pages = list(item_pages(item))
    try:
        chosen = page_range_parse(first=request.GET.get("from"), last=request.GET.get("to"),
                                  page_count=len(pages), limit=download_max_pages())
    except ValidationFailed as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    if reading.logged:
        access_log_write(item=item, user=request.user, ip=client_ip(request), what="download")
    selected = pages[chosen.first - 1:chosen.last]
    # The title in the original script first, as on the book's own title page.
    title = " / ".join(t for t in (item.record.title_original, item.record.title) if t)
    response = StreamingHttpResponse(pages_pdf(selected, title=title), content_type="application/pdf")
    response["Content-Disposition"] = (f'attachment; filename="record-{record_id}-pages-{chosen.first}-'
                                       f'{chosen.last}.pdf"')
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
def access_log(request: HttpRequest, record_id: int) -> HttpResponse:
    """Staff: who read the restricted digitized item of a record, from where, what, and when."""
    if staff_role(request.user) is None:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return HttpResponse("library staff only", status=403, content_type="text/plain; charset=utf-8")
    item = record_item_or_404(request, record_id)
    # Readers' names and addresses: the line's own institution and supervisors only.
    if not access_log_visible(item, request.user):
        return HttpResponse("the access log is kept for the staff of the institution running this line",
                            status=403, content_type="text/plain; charset=utf-8")
    return render(request, "iiif/access_log.html", {"item": item, "entries": item_access_log(item)})

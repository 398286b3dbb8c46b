"""Public catalogue pages: search with facets, the record page, MARC view, downloads and citations."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_GET

from kitabkhana.accounts.selectors import can_catalogue, staff_role
from kitabkhana.catalogue.search.base import QuerySyntaxError, SearchRequest
from kitabkhana.catalogue.search_params import SORTS, search_request_from_params
from kitabkhana.catalogue.selectors import (
    SearchPage,
    catalogue_counts,
    record_get,
    record_search,
    record_view,
)
from kitabkhana.catalogue.services.exporting import EXPORT_FORMATS, MEDIA_TYPES, record_serialise
from kitabkhana.core.errors import NotFound
from kitabkhana.deposit.selectors import record_open_files
from kitabkhana.digitization.models import Access, DigitalItem
from kitabkhana.digitization.selectors import item_pages, item_reading, record_digital_item
from kitabkhana.opac import citations as cite
from kitabkhana.opac.labels import bcp47, facet_label, facet_value_label, material_type_label
from kitabkhana.union.selectors import cluster_display


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    url: str


@dataclass
class FacetView:
    name: str
    label: str
    values: list[FacetValue]
    estimated: bool = False


def _query(params: list[tuple[str, str]]) -> str:
    return "?" + urlencode(params) if params else "?"


def _params_without_page(request: HttpRequest) -> list[tuple[str, str]]:
    return [(k, v) for k, values in request.GET.lists() for v in values if k != "page" and v != ""]


def _facet_views(request: HttpRequest, page: SearchPage, search: SearchRequest) -> list[FacetView]:
    base = _params_without_page(request)
    views = []
    for name, counts in page.response.facets.items():
        chosen = set(search.filters.get(name, []))
        values = []
        for value, count in counts:
            if value in chosen:
                params = [(k, v) for k, v in base if not (k == name and v == value)]
            else:
                params = [*base, (name, value)]
            values.append(FacetValue(value, facet_value_label(name, value, page.institutions), count,
                                     value in chosen, _query(params)))
        # A chosen value the top-N no longer shows must stay visible so it can be removed.
        for value in sorted(chosen - {v for v, _ in counts}):
            params = [(k, v) for k, v in base if not (k == name and v == value)]
            values.insert(0, FacetValue(value, facet_value_label(name, value, page.institutions), 0, True,
                                        _query(params)))
        if values:
            views.append(FacetView(name, facet_label(name), values, name in page.response.estimated_facets))
    return views


def _page_links(request: HttpRequest, page: SearchPage) -> dict:
    base = _params_without_page(request)
    current = page.response.page
    links = {"current": current, "pages": page.pages}
    if current > 1:
        # Past the result window, "previous" leads back to the last page that can be shown.
        links["previous"] = _query([*base, ("page", str(min(current - 1, page.pages)))])
    if current < page.pages:
        links["next"] = _query([*base, ("page", str(current + 1))])
    return links


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    browse = record_search(SearchRequest(page_size=1, facets=("language", "institution", "material_type"),
                                         facet_size=12))
    return render(request, "opac/home.html", {
        "counts": catalogue_counts(),
        "facets": _facet_views(request, browse, SearchRequest()),
    })


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    context = {"q": request.GET.get("q", ""), "sorts": SORTS, "sort": request.GET.get("sort", "relevance")}
    try:
        search_request = search_request_from_params(request.GET)
        page = record_search(search_request)
    except (QuerySyntaxError, ValueError) as exc:
        return render(request, "opac/search.html", {**context, "error": str(exc)}, status=400)
    results = [{
        "record": r,
        "material_type": material_type_label(r.material_type),
        "languages": [facet_value_label("language", code, {}) for code in r.languages.split(",") if code],
        "held_by": _institution_names(page.held_by.get(r.pk, [])),
    } for r in page.records]
    active = [(name, value, facet_value_label(name, value, page.institutions))
              for name, values in search_request.filters.items() for value in values]
    return render(request, "opac/search.html", {
        **context,
        "page": page,
        "results": results,
        "facets": _facet_views(request, page, search_request),
        "active_filters": active,
        "paging": _page_links(request, page),
        "first_number": (page.response.page - 1) * page.response.page_size + 1,
        "hidden_filters": [(k, v) for k, v in _params_without_page(request) if k not in ("q", "sort")],
    })


def _institution_names(institutions) -> list[str]:
    language = (get_language() or "").split("-")[0]
    return [inst.name_in(language) for inst in institutions]


def _record_or_404(record_id: int):
    try:
        return record_get(record_id=record_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _viewer_text() -> dict[str, str]:
    """The viewer script's words, translated here so that the script carries none."""
    return {"previous": gettext("Previous page"), "next": gettext("Next page"), "page": gettext("Page"),
            "jpeg": gettext("Download this page (JPEG)"), "search": gettext("Search inside this book"),
            "noHits": gettext("Not found in this book."), "searchFailed": gettext("The search did not work.")}


# The viewer's script from npm (package.json); absent, the record page offers plain page links.
VIEWER_SCRIPT = "vendor/openseadragon/openseadragon.min.js"


def _digital(request: HttpRequest, record_id: int) -> dict | None:
    """The digitized item shown on the record page, and whether this reader may read it (and if not, why).

    The IIIF face serves the manifest, images and downloads under the same rule (``item_reading``); this page
    only decides between the viewer and a message, and links to the face by URL name.
    """
    item = record_digital_item(record_id=record_id, include_unpublished=staff_role(request.user) is not None)
    if item is None:
        return None
    reading = item_reading(item, user=request.user, ip=request.META.get("REMOTE_ADDR"))
    if not reading.allowed and item.stage != DigitalItem.Stage.PUBLISHED:
        return None
    digital = {"item": item, "allowed": reading.allowed, "published": item.stage == DigitalItem.Stage.PUBLISHED,
               "rtl": item.viewing_direction == "right-to-left"}
    if reading.allowed:
        pages = list(item_pages(item))
        digital.update(pages=pages, text=_viewer_text(), viewer=finders.find(VIEWER_SCRIPT) is not None,
                       downloadable=item.downloadable and bool(pages),
                       max_pages=int(settings.KITABKHANA.get("IIIF_DOWNLOAD_MAX_PAGES", 200)))
    elif item.embargo_until is not None and timezone.localdate() < item.embargo_until:
        digital["refusal"] = "embargo"
    else:
        digital["refusal"] = {Access.REGISTERED: "registered", Access.ON_SITE: "on_site"}.get(item.access, "staff")
    return digital


@require_GET
def record(request: HttpRequest, record_id: int) -> HttpResponse:
    view = record_view(_record_or_404(record_id))
    # A book several libraries catalogued reads as one description: the fullest record, with every
    # member's identifiers, subjects and names added; the MARC view still shows this library's record.
    combined = cluster_display(view.record.cluster_id) if view.cluster_records else None
    summary = combined.summary if combined else view.summary
    return render(request, "opac/record.html", {
        "view": view,
        "record": view.record,
        "summary": summary,
        "combined": combined,
        "material_type": material_type_label(view.summary.material_type),
        "original_lang": bcp47(summary.languages[0]) if summary.languages else "",
        "citations": cite.citations(summary),
        "formats": EXPORT_FORMATS,
        "citation_exports": list(cite.EXPORTS),
        "can_edit": can_catalogue(request.user),
        "held_by": _institution_names(view.held_by),
        # Leader/17 '8': a CIP record of a book not yet published.
        "forthcoming": str(view.marc.leader)[17:18] == "8",
        # Deposited e-books readers may be offered (open, or in the reading rooms); staff-only files are not shown.
        "deposited_files": record_open_files(record_id=view.record.pk),
        # The digitized book: the viewer for those who may read it, otherwise why not.
        "digital": _digital(request, view.record.pk),
    })


@require_GET
def record_marc(request: HttpRequest, record_id: int) -> HttpResponse:
    view = record_view(_record_or_404(record_id))
    return render(request, "opac/record_marc.html", {"view": view, "record": view.record, "summary": view.summary})


def _attachment(body: bytes | str, media_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=f"{media_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def record_download(request: HttpRequest, record_id: int) -> HttpResponse:
    fmt = request.GET.get("format", "iso2709")
    if fmt not in EXPORT_FORMATS:
        return HttpResponse(f"format must be one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}",
                            status=400, content_type="text/plain; charset=utf-8")
    found = _record_or_404(record_id)
    media_type, extension = MEDIA_TYPES[fmt]
    return _attachment(record_serialise(found, fmt), media_type, f"record-{found.pk}.{extension}")


@require_GET
def record_citation(request: HttpRequest, record_id: int) -> HttpResponse:
    fmt = request.GET.get("format", "ris")
    if fmt not in cite.EXPORTS:
        return HttpResponse(f"format must be one of {', '.join(cite.EXPORTS)}, got {fmt!r}",
                            status=400, content_type="text/plain; charset=utf-8")
    view = record_view(_record_or_404(record_id))
    url = request.build_absolute_uri(reverse("opac:record", args=[view.record.pk]))
    if fmt == "ris":
        body = cite.citation_ris(view.summary, record_url=url)
    else:
        body = cite.citation_bibtex(view.summary, key=f"kitabkhana{view.record.pk}", record_url=url)
    media_type, extension = cite.EXPORTS[fmt]
    return _attachment(body, media_type, f"record-{view.record.pk}.{extension}")

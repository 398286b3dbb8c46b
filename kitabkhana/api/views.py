"""Read-only JSON API: search with facets, and single records (summary + MARC-in-JSON)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from kitabkhana.api.openapi import openapi_document
from kitabkhana.catalogue.search.base import QuerySyntaxError
from kitabkhana.catalogue.search_params import search_request_from_params
from kitabkhana.catalogue.selectors import record_get, record_search, record_view
from kitabkhana.core.errors import NotFound
from kitabkhana.marc.writer import to_json


def _error(status: int, message: str, parameter: str | None = None) -> JsonResponse:
    body = {"error": message}
    if parameter:
        body["parameter"] = parameter
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _hit(record, request: HttpRequest, score: float | None, held_by: list | None = None) -> dict:
    return {
        "id": record.pk,
        "title": record.title,
        "title_original": record.title_original or None,
        "author": record.author or None,
        "year": record.year,
        "material_type": record.material_type,
        "languages": [x for x in record.languages.split(",") if x],
        "institution": record.institution.code,
        "flavour": record.flavour,
        "cluster": record.cluster_id,
        "held_by": [inst.code for inst in held_by or [record.institution]],
        "score": score,
        "url": request.build_absolute_uri(reverse("api:record", args=[record.pk])),
    }


@require_GET
def search(request: HttpRequest) -> JsonResponse:
    try:
        search_request = search_request_from_params(request.GET)
        page = record_search(search_request)
    except QuerySyntaxError as exc:
        return _error(400, str(exc), "q")
    except ValueError as exc:
        return _error(400, str(exc))
    scores = {h.record_id: h.score for h in page.response.hits}
    return JsonResponse({
        "total": page.total,
        "page": page.response.page,
        "page_size": page.response.page_size,
        "hits": [_hit(r, request, scores.get(r.pk), page.held_by.get(r.pk)) for r in page.records],
        "facets": {name: [{"value": v, "count": c} for v, c in values] for name, values in page.response.facets.items()},
        "facets_estimated": page.response.facets_estimated,
        "estimated_facets": sorted(page.response.estimated_facets),
    }, json_dumps_params={"ensure_ascii": False})


@require_GET
def record(request: HttpRequest, record_id: int) -> JsonResponse:
    try:
        view = record_view(record_get(record_id=record_id))
    except NotFound as exc:
        return _error(404, str(exc))
    s = view.summary
    return JsonResponse({
        **_hit(view.record, request, None, view.held_by),
        "cluster_records": [request.build_absolute_uri(reverse("api:record", args=[r.pk]))
                            for r in view.cluster_records],
        "version": view.record.version,
        "kind": view.record.kind,
        "authors": s.authors, "subjects": s.subjects, "isbns": s.isbns, "issns": s.issns,
        "publisher": s.publisher, "place": s.place, "date": s.date_text, "imprint_years": view.imprint_years,
        "display": [{"label": f.label, "tag": f.tag, "value": f.value, "original": f.original,
                     "direction": f.direction} for f in s.display],
        "holdings": [{"institution": h.institution.code, "location": h.location, "call_number": h.call_number,
                      "barcode": h.barcode} for h in view.holdings],
        "marc": to_json(view.marc),
    }, json_dumps_params={"ensure_ascii": False})


@require_GET
def openapi(request: HttpRequest) -> JsonResponse:
    return JsonResponse(openapi_document(server=request.build_absolute_uri("/api/")),
                        json_dumps_params={"ensure_ascii": False})

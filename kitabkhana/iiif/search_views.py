"""Search inside a book (IIIF Content Search API 2.0) and the OCR text of its pages.

``/iiif/search/{record-id}?q=…`` answers with an AnnotationPage: one ``highlighting`` annotation per hit whose
target is the page's canvas (``{base}/iiif/manifest/{record-id}/canvas/{order}``, as the manifest has it) with
the matched words' box as ``#xywh=``, and in ``annotations`` the hit's context as a TextQuoteSelector
(prefix, exact, suffix). ``/iiif/search/{record-id}/text/{order}.txt`` and ``.hocr`` give a page's OCR. All of
them ask the item's access rule first and log readings of restricted material, as images and manifests do.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from kitabkhana.core.errors import NotFound
from kitabkhana.digitization.models import DigitalItem
from kitabkhana.digitization.selectors import (
    ItemSearch,
    Reading,
    item_open_to_all,
    item_reading,
    item_search,
    page_ocr_get,
)
from kitabkhana.digitization.services.access import access_log_write
from kitabkhana.iiif.access import base_url, canvas_url, client_ip, reading_refusal, record_item_or_404
from kitabkhana.scripts.normalise import tokens

CONTEXT = "http://iiif.io/api/search/2/context.json"
MEDIA_TYPE = 'application/ld+json;profile="http://iiif.io/api/search/2/context.json"'
# Hits per response page; a reader's query rarely has more, a common word in a long book pages on.
PAGE_SIZE = 100
# Beyond this a query is too common to be useful as highlights; the total says "at least".
MAX_HITS = 5000
# Each distinct query word is one more condition on the pages' text: a reader's query has a few, while a
# thousand made the database refuse the query (SQLite: "Expression tree is too large") and answered 500.
MAX_QUERY_WORDS = 32
# Parameters of the specification this service does not act on (they are echoed in ``ignored``).
KNOWN = {"q", "page"}


def _headers(response: HttpResponse, item: DigitalItem) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    # What a reader may see depends on who they are and where from: only open items go to shared caches.
    response["Cache-Control"] = "public, max-age=300" if item_open_to_all(item) else "private, no-store"
    response["Vary"] = "Cookie"
    return response


def _reading(request: HttpRequest, record_id: int) -> tuple[DigitalItem, Reading]:
    item = record_item_or_404(request, record_id)
    return item, item_reading(item, user=request.user, ip=client_ip(request))


def search_document(*, result: ItemSearch, base: str, record_id: int, page: int, ignored: list[str]) -> dict:
    """The Content Search 2.0 AnnotationPage for one page of a search's hits."""
    service = f"{base}/iiif/search/{record_id}"

    def url(number: int | None = None) -> str:
        params = {"q": result.query} if number is None else {"q": result.query, "page": number}
        return f"{service}?{urlencode(params)}"

    total = len(result.hits)
    last = max(1, -(-total // PAGE_SIZE))
    start = (page - 1) * PAGE_SIZE
    items: list[dict] = []
    contexts: list[dict] = []
    for hit in result.hits[start:start + PAGE_SIZE]:
        box = hit.match.box
        annotation_id = f"{service}/annotation/{hit.page.order}/{box.xywh}"
        items.append({
            "id": annotation_id,
            "type": "Annotation",
            "motivation": "highlighting",
            "body": {"type": "TextualBody", "value": hit.match.exact, "format": "text/plain"},
            "target": f"{canvas_url(base, record_id, hit.page.order)}#xywh={box.xywh}",
        })
        contexts.append({
            "id": f"{annotation_id}/context",
            "type": "Annotation",
            "motivation": "contextualizing",
            "target": {
                "type": "SpecificResource",
                "source": annotation_id,
                "selector": [{"type": "TextQuoteSelector", "prefix": hit.match.prefix, "exact": hit.match.exact,
                              "suffix": hit.match.suffix}],
            },
        })
    document: dict = {
        "@context": CONTEXT,
        "id": url(page) if page > 1 else url(),
        "type": "AnnotationPage",
        "partOf": {
            "id": url(),
            "type": "AnnotationCollection",
            "total": total,
            "first": {"id": url(), "type": "AnnotationPage"},
            "last": {"id": url(last) if last > 1 else url(), "type": "AnnotationPage"},
        },
        "startIndex": start,
    }
    if page > 1:
        document["prev"] = {"id": url(page - 1) if page > 2 else url(), "type": "AnnotationPage"}
    if page < last:
        document["next"] = {"id": url(page + 1), "type": "AnnotationPage"}
    if ignored:
        document["ignored"] = ignored
    document["items"] = items
    if contexts:
        document["annotations"] = [{"id": f"{url(page) if page > 1 else url()}#context", "type": "AnnotationPage",
                                    "items": contexts}]
    return document


@require_safe
def search(request: HttpRequest, record_id: int) -> HttpResponse:
    item, reading = _reading(request, record_id)
    if not reading.allowed:
        return reading_refusal(request, item, reading)
    try:
        page = int(request.GET.get("page", "1"))
        if page < 1:
            raise ValueError
    except ValueError:
        return _headers(JsonResponse({"error": "page: a positive whole number"}, status=400), item)
    query = request.GET.get("q", "")
    if len(set(tokens(query))) > MAX_QUERY_WORDS:
        return _headers(JsonResponse({"error": f"q: at most {MAX_QUERY_WORDS} different words"}, status=400), item)
    ignored = sorted(name for name in request.GET if name not in KNOWN)
    result = item_search(item=item, query=query, limit=MAX_HITS)
    if page > 1 and (page - 1) * PAGE_SIZE >= len(result.hits):
        return _headers(JsonResponse({"error": f"page {page}: past the last page of hits"}, status=404), item)
    document = search_document(result=result, base=base_url(request), record_id=record_id, page=page,
                               ignored=ignored)
    if reading.logged:
        access_log_write(item=item, user=request.user, ip=client_ip(request), what="search")
    response = HttpResponse(json.dumps(document, ensure_ascii=False), content_type=MEDIA_TYPE)
    return _headers(response, item)


@require_safe
def page_text(request: HttpRequest, record_id: int, order: int, fmt: str) -> HttpResponse:
    """A page's OCR as plain text (``.txt``) or as tesseract's hOCR with boxes in the page image's pixels."""
    item, reading = _reading(request, record_id)
    if not reading.allowed:
        return reading_refusal(request, item, reading)
    try:
        ocr = page_ocr_get(item=item, order=order)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    if reading.logged:
        access_log_write(item=item, user=request.user, ip=client_ip(request), what="text")
    if fmt == "hocr":
        # Served for download and tools, never rendered as a page of ours (nosniff keeps browsers from trying).
        response = HttpResponse(ocr.hocr, content_type="text/vnd.hocr+html; charset=utf-8")
    else:
        response = HttpResponse(ocr.text, content_type="text/plain; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = f'inline; filename="record-{record_id}-page-{order}.{fmt}"'
    return _headers(response, item)

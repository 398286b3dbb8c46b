"""What every IIIF view does before it serves: find the record's digitized item, apply the one access rule
(``digitization.selectors.item_reading``), refuse the same way everywhere, and name things the same way."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

from kitabkhana.accounts.selectors import staff_role
from kitabkhana.digitization.models import Access, DigitalItem
from kitabkhana.digitization.selectors import Reading, item_embargoed, record_digital_item


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def manifest_url(base: str, record_id: int) -> str:
    return f"{base}/iiif/manifest/{record_id}"


def canvas_url(base: str, record_id: int, order: int) -> str:
    """A page's canvas, as the manifest names it and search results target it."""
    return f"{manifest_url(base, record_id)}/canvas/{order}"


def record_item_or_404(request: HttpRequest, record_id: int) -> DigitalItem:
    # Staff may open an item before it is published (to check it); readers only see published ones.
    item = record_digital_item(record_id=record_id, include_unpublished=staff_role(request.user) is not None)
    if item is None:
        raise Http404(f"record {record_id} has no digitized item")
    return item


def sign_in_would_help(request: HttpRequest, item: DigitalItem) -> bool:
    """Only a registered-readers item that is published and not embargoed opens when an anonymous reader signs
    in: signing in does not open a reading room, a staff-only item or an embargo."""
    return (not request.user.is_authenticated and item.access == Access.REGISTERED
            and item.stage == DigitalItem.Stage.PUBLISHED and not item_embargoed(item))


def reading_refusal(request: HttpRequest, item: DigitalItem, reading: Reading) -> HttpResponse:
    """401 where signing in would help (with where to sign in), 403 with the reason otherwise, 404 before
    publication (a reader may not know an unpublished item exists)."""
    if reading.reason == "not published":
        raise Http404(f"record {item.record_id} has no published digitized item")
    if sign_in_would_help(request, item):
        record_page = reverse("opac:record", args=[item.record_id])
        sign_in = f"{reverse('accounts:login')}?{urlencode({'next': record_page})}"
        response = JsonResponse({"error": reading.reason, "signIn": request.build_absolute_uri(sign_in)}, status=401)
        response["WWW-Authenticate"] = f'Cookie realm="Kitabkhana", login="{sign_in}"'
    else:
        response = JsonResponse({"error": reading.reason}, status=403)
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "private, no-store"
    return response

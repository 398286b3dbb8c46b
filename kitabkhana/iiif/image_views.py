"""The IIIF Image API 3.0 at /iiif/3/ (docs/iiif.md, "Image API").

Views translate: they check the identifier's form, find the image (``image_get``), apply the one access rule
(``image_reading``), log readings of restricted material, and hand the parameters to the pure request core
(``imaging.iiif_image``) and renderer (``imaging.render``). Identifiers are only ever looked up in the database;
no part of the URL is joined into a path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
from contextlib import contextmanager
from email.utils import format_datetime, parsedate_to_datetime
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from kitabkhana.core.errors import NotFound
from kitabkhana.digitization.models import DigitalImage
from kitabkhana.digitization.selectors import image_get, image_item, image_reading, item_open_to_all
from kitabkhana.digitization.services.access import access_log_write
from kitabkhana.digitization.services.images import IDENTIFIER, image_path
from kitabkhana.iiif import image_cache
from kitabkhana.iiif.access import sign_in_would_help
from kitabkhana.imaging.iiif_image import LEVEL2_PROFILE, ImageApiError, image_info, image_request_parse
from kitabkhana.imaging.render import RenderFailed, image_render

logger = logging.getLogger(__name__)

OPEN_MAX_AGE = 30 * 24 * 3600
RESTRICTED_MAX_AGE = 3600
# One log entry per reader, item and address in this many seconds: a viewer asks for dozens of tiles a page.
LOG_WINDOW = 600
_ALLOWED = "GET, HEAD, OPTIONS"


def _cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "Link, ETag, Last-Modified"
    return response


def _error(status: int, message: str) -> HttpResponse:
    response = HttpResponse(f"{message}\n", status=status, content_type="text/plain; charset=utf-8")
    if status in (400, 404, 501):
        response["Cache-Control"] = "public, max-age=300"
    else:
        response["Cache-Control"] = "no-store"
    return _cors(response)


def _preflight() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Methods"] = _ALLOWED
    response["Access-Control-Allow-Headers"] = "Accept, Authorization, Range, If-None-Match, If-Modified-Since"
    response["Access-Control-Max-Age"] = "86400"
    response["Allow"] = _ALLOWED
    return _cors(response)


def _method_refused() -> HttpResponse:
    response = _error(405, "the Image API answers GET, HEAD and OPTIONS")
    response["Allow"] = _ALLOWED
    return response


# Renders at once per process: a large output (a rotated or upscaled page encoded as webp or gif) holds a
# few hundred MB while it is encoded, so a burst of them waits here instead of exhausting memory.
# Made on first use, so the setting is read from the settings the server runs with, not at import.
_render_slots: threading.BoundedSemaphore | None = None
_render_slots_lock = threading.Lock()


@contextmanager
def _render_slot():
    global _render_slots
    with _render_slots_lock:
        if _render_slots is None:
            _render_slots = threading.BoundedSemaphore(int(settings.KITABKHANA.get("IIIF_RENDER_CONCURRENCY", 2)))
    with _render_slots:
        yield


class _Refused(Exception):
    def __init__(self, response: HttpResponse):
        self.response = response


def _image_for(request: HttpRequest, identifier: str) -> tuple[DigitalImage, bool]:
    """The image the reader may see, and whether it is restricted; ``_Refused`` with the answer otherwise."""
    if not IDENTIFIER.fullmatch(identifier) or ".." in identifier:
        raise _Refused(_error(400, f"{identifier!r} is not an image identifier (letters, digits, '.', '_', '-')"))
    try:
        image = image_get(identifier=identifier)
    except NotFound:
        raise _Refused(_error(404, f"no image {identifier!r}")) from None
    ip = request.META.get("REMOTE_ADDR")
    reading = image_reading(image, user=request.user, ip=ip)
    item = image_item(image)
    if not reading.allowed:
        assert item is not None  # standalone images are open
        if sign_in_would_help(request, item):
            response = _error(401, f"image {identifier!r}: {reading.reason} at {reverse('accounts:login')}")
            response["WWW-Authenticate"] = 'Cookie realm="Kitabkhana readers"'
        else:
            response = _error(403, f"image {identifier!r}: {reading.reason}")
        raise _Refused(response)
    if reading.logged and item is not None:
        user = request.user if request.user.is_authenticated else None
        key = f"iiif-log:{item.pk}:{user.pk if user else '-'}:{ip}"
        if cache.add(key, 1, timeout=LOG_WINDOW):
            access_log_write(item=item, user=user, ip=ip, what="image")
    restricted = item is not None and not item_open_to_all(item)
    return image, restricted


def _caching(response: HttpResponse, *, restricted: bool, etag: str, modified) -> HttpResponse:
    if restricted:
        response["Cache-Control"] = f"private, max-age={RESTRICTED_MAX_AGE}"
        response["Vary"] = "Cookie"
    else:
        response["Cache-Control"] = f"public, max-age={OPEN_MAX_AGE}"
    response["ETag"] = etag
    response["Last-Modified"] = format_datetime(modified.astimezone(dt.UTC), usegmt=True)
    return response


def _not_modified(request: HttpRequest, etag: str, modified) -> bool:
    if match := request.headers.get("If-None-Match"):
        return etag in [tag.strip().removeprefix("W/") for tag in match.split(",")] or match.strip() == "*"
    if since := request.headers.get("If-Modified-Since"):
        try:
            return modified.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def image_base(request: HttpRequest, identifier: str) -> HttpResponse:
    """The base URI redirects to the image information (spec 2.2)."""
    if request.method == "OPTIONS":
        return _preflight()
    response = HttpResponseRedirect(reverse("iiif:image-info", args=[identifier]))
    response.status_code = 303
    return _cors(response)


def _image_view(view):
    """Answer CORS preflights and refuse other methods than GET and HEAD, then give the view the image the
    reader may see (and whether it is restricted), or the refusal."""
    @wraps(view)
    def wrapped(request: HttpRequest, identifier: str, *args, **kwargs) -> HttpResponse:
        if request.method == "OPTIONS":
            return _preflight()
        if request.method not in ("GET", "HEAD"):
            return _method_refused()
        try:
            image, restricted = _image_for(request, identifier)
        except _Refused as refused:
            return refused.response
        return view(request, image, restricted, *args, **kwargs)

    return wrapped


@_image_view
def image_information(request: HttpRequest, image: DigitalImage, restricted: bool) -> HttpResponse:
    """info.json: as application/ld+json with the context profile when asked for, else application/json."""
    base = request.build_absolute_uri(reverse("iiif:image-base", args=[image.identifier]))
    item = image_item(image)
    document = image_info(id=base, width=image.width, height=image.height, rights=item.rights if item else "")
    etag = '"' + hashlib.sha256(repr(sorted(document.items())).encode()).hexdigest()[:32] + '"'
    if _not_modified(request, etag, image.created_at):
        response = HttpResponse(status=304)
    else:
        if "application/ld+json" in request.headers.get("Accept", ""):
            content_type = 'application/ld+json;profile="http://iiif.io/api/image/3/context.json"'
        else:
            content_type = "application/json"
        response = JsonResponse(document, content_type=content_type, json_dumps_params={"ensure_ascii": False})
    response["Vary"] = "Accept"
    response["Link"] = f'<{LEVEL2_PROFILE}>;rel="profile"'
    _caching(response, restricted=restricted, etag=etag, modified=image.created_at)
    if restricted:
        response["Vary"] = "Accept, Cookie"
    return _cors(response)


@_image_view
def image_request(request: HttpRequest, image: DigitalImage, restricted: bool, region: str, size: str,
                  rotation: str, quality_format: str) -> HttpResponse:
    """An image: checked (400/501 before any pixel), served from the derivative cache or rendered."""
    try:
        req = image_request_parse(region, size, rotation, quality_format, width=image.width, height=image.height)
    except ImageApiError as exc:
        return _error(exc.status, exc.message)
    key = image_cache.cache_key(image_pk=image.pk, master_sha256=image.master_sha256,
                                identifier=image.identifier, canonical=req.canonical)
    etag = f'"{key[:32]}"'
    canonical = request.build_absolute_uri(reverse("iiif:image", args=[image.identifier, *req.canonical_parts]))
    if _not_modified(request, etag, image.created_at):
        response = HttpResponse(status=304)
    else:
        data = image_cache.cache_get(key, req.format)
        hit = data is not None
        if data is None:
            try:
                with _render_slot():
                    data = image_render(image_path(image), req)
            except RenderFailed as exc:
                logger.error("IIIF image %s could not be rendered: %s", image.identifier, exc)
                return _error(500, f"image {image.identifier!r} could not be read; the library has been told")
            image_cache.cache_put(key, req.format, data)
        response = HttpResponse(data, content_type=req.media_type)
        response["X-Derivative-Cache"] = "hit" if hit else "miss"
        response["Content-Disposition"] = f'inline; filename="{image.identifier}.{req.format}"'
    response["Link"] = f'<{LEVEL2_PROFILE}>;rel="profile", <{canonical}>;rel="canonical"'
    _caching(response, restricted=restricted, etag=etag, modified=image.created_at)
    return _cors(response)

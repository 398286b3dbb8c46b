"""Render an IIIF image request from a pyramidal TIFF (libvips through pyvips).

Pure Python (no Django). The pyramid ``kitabkhana.imaging.pyramid`` writes holds the full image as page 0 and
each half-size level as the next page, all in 256-pixel JPEG tiles. ``image_render`` picks the smallest level
that still has at least as many pixels as the output needs, opens it with random access (only the tiles under
the region are decoded), crops, resizes to the exact size asked, mirrors, rotates, applies the quality and
encodes. Sizes were checked against the server's limits by ``iiif_image.image_request_parse`` before a pixel is
touched, so what is decoded is bounded by about four times the (bounded) output.

Opened levels are kept in a small per-process cache keyed by path, modification time and page: a viewer asks
for dozens of tiles of the same page in a row.
"""

from __future__ import annotations

import math
import os
import threading
from collections import OrderedDict
from pathlib import Path

import pyvips

from kitabkhana.imaging.iiif_image import ImageRequest

__all__ = ["RenderFailed", "image_render", "pyramid_levels"]

_OPEN_MAX = 64
_opened: OrderedDict[tuple[str, int, int], pyvips.Image] = OrderedDict()
_levels: OrderedDict[tuple[str, int], list[tuple[int, int]]] = OrderedDict()
_lock = threading.Lock()


class RenderFailed(RuntimeError):
    """The pyramid could not be read or the output not encoded (a damaged or missing file)."""


def _remember(cache: OrderedDict, key, value):
    with _lock:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > _OPEN_MAX:
            cache.popitem(last=False)
    return value


def _recall(cache: OrderedDict, key):
    with _lock:
        value = cache.get(key)
        if value is not None:
            cache.move_to_end(key)
        return value


def _mtime(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError as exc:
        raise RenderFailed(f"{Path(path).name}: {exc.strerror}") from None


def pyramid_levels(path: Path | str) -> list[tuple[int, int]]:
    """Width and height of each level of the pyramid, full size first."""
    path = str(path)
    key = (path, _mtime(path))
    levels = _recall(_levels, key)
    if levels is None:
        try:
            first = pyvips.Image.new_from_file(path, access="random")
            pages = first.get("n-pages") if first.get_typeof("n-pages") else 1
            levels = [(first.width, first.height)]
            for page in range(1, pages):
                level = pyvips.Image.new_from_file(path, page=page, access="random")
                levels.append((level.width, level.height))
        except pyvips.Error as exc:
            raise RenderFailed(f"{Path(path).name}: {_first_line(exc)}") from None
        _remember(_levels, key, levels)
    return levels


def _level_image(path: str, page: int) -> pyvips.Image:
    key = (path, _mtime(path), page)
    image = _recall(_opened, key)
    if image is None:
        try:
            image = pyvips.Image.new_from_file(path, page=page, access="random")
        except pyvips.Error as exc:
            raise RenderFailed(f"{Path(path).name}: {_first_line(exc)}") from None
        _remember(_opened, key, image)
    return image


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "unknown error"


def _region(path: str, req: ImageRequest) -> pyvips.Image:
    """The requested region at exactly the requested size, read from the best pyramid level."""
    levels = pyramid_levels(path)
    full_w, full_h = levels[0]
    # How many full-image pixels make one output pixel; a level may be used if it shrinks by no more.
    needed = min(req.w / req.width, req.h / req.height)
    page = 0
    for index, (lw, lh) in enumerate(levels):
        if full_w / lw <= needed + 1e-9 and full_h / lh <= needed + 1e-9:
            page = index
    lw, lh = levels[page]
    sx, sy = lw / full_w, lh / full_h
    left, top = math.floor(req.x * sx), math.floor(req.y * sy)
    right = min(lw, max(left + 1, math.ceil((req.x + req.w) * sx - 1e-9)))
    bottom = min(lh, max(top + 1, math.ceil((req.y + req.h) * sy - 1e-9)))
    image = _level_image(path, page)
    if (left, top, right, bottom) != (0, 0, lw, lh):
        image = image.crop(left, top, right - left, bottom - top)
    if (image.width, image.height) != (req.width, req.height):
        image = image.resize(req.width / image.width, vscale=req.height / image.height)
        if (image.width, image.height) != (req.width, req.height):  # rounding inside libvips: trim or pad one pixel
            image = image.crop(0, 0, min(image.width, req.width), min(image.height, req.height))
            if (image.width, image.height) != (req.width, req.height):
                image = image.embed(0, 0, req.width, req.height, extend="copy")
    return image


def _rotate(image: pyvips.Image, req: ImageRequest) -> pyvips.Image:
    if req.mirror:
        image = image.fliphor()
    angle = req.rotation
    if angle == 0:
        return image
    if angle in (90, 180, 270):
        return {90: image.rot90, 180: image.rot180, 270: image.rot270}[int(angle)]()
    # Arbitrary angles: the bounding box of the rotated image; the corners are transparent where the format
    # has an alpha channel and white where it does not.
    transparent = req.format in ("png", "webp", "tif", "gif") and req.quality != "bitonal"
    if transparent:
        image = image.bandjoin(255)
        background = [0] * image.bands
    else:
        background = [255] * image.bands
    return image.rotate(angle, background=background)


def _quality(image: pyvips.Image, quality: str) -> pyvips.Image:
    alpha = None
    if image.hasalpha():
        image, alpha = image.extract_band(0, n=image.bands - 1), image.extract_band(image.bands - 1)
    if quality in ("gray", "bitonal") and image.bands >= 3:
        image = image.colourspace("b-w")
    if quality == "bitonal":
        image = (image > 128).cast("uchar")  # 0 or 255
    if alpha is not None:
        image = image.bandjoin(alpha)
    return image


def _encode(image: pyvips.Image, req: ImageRequest) -> bytes:
    fmt = req.format
    if fmt == "jpg":
        if image.hasalpha():
            image = image.flatten(background=255)
        return image.jpegsave_buffer(Q=85, strip=True)
    if fmt == "png":
        if req.quality == "bitonal" and not image.hasalpha():
            return image.pngsave_buffer(compression=3, bitdepth=1, strip=True)
        return image.pngsave_buffer(compression=3, strip=True)
    if fmt == "webp":
        return image.webpsave_buffer(Q=80, strip=True)
    if fmt == "tif":
        return image.tiffsave_buffer(compression="deflate", strip=True)
    if fmt == "gif":
        return image.gifsave_buffer(strip=True)
    raise RenderFailed(f"format {fmt!r} is not rendered")


def image_render(path: Path | str, req: ImageRequest) -> bytes:
    """The encoded bytes of ``req`` rendered from the pyramidal TIFF at ``path``; ``RenderFailed`` if unreadable."""
    path = str(path)
    try:
        image = _region(path, req)
        image = _rotate(image, req)
        image = _quality(image, req.quality)
        return _encode(image, req)
    except pyvips.Error as exc:
        raise RenderFailed(f"{Path(path).name}: {_first_line(exc)}") from None

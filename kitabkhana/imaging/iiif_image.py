"""The IIIF Image API 3.0 request core: parse, validate and canonicalise ``{region}/{size}/{rotation}/{quality}.{format}``.

Pure Python (no Django, no pixels). ``image_request_parse`` checks a request against an image's width and height
and the server's limits and returns an ``ImageRequest`` holding exactly what to render (the region in full-image
pixels, the output size, mirroring, rotation, quality, format) and its canonical form; anything wrong raises
``ImageApiError`` carrying the HTTP status the specification asks for (400 bad request, 501 a valid request we do
not implement) and a message that says what was wrong. ``image_info`` builds the info.json document for level 2.

Spec: https://iiif.io/api/image/3.0/ (sections 4.1–4.7 for the parameters, 5 for info.json, 7 for errors).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = [
    "CONTEXT", "EXTRA_FEATURES", "EXTRA_FORMATS", "EXTRA_QUALITIES", "FORMATS", "LEVEL2_PROFILE", "LIMITS",
    "ImageApiError", "ImageLimits", "ImageRequest", "image_info", "image_request_parse", "scale_factors",
]

CONTEXT = "http://iiif.io/api/image/3/context.json"
LEVEL2_PROFILE = "http://iiif.io/api/image/3/level2.json"
# Served formats and their media types; jp2 and pdf are valid in the API but not implemented here (501).
FORMATS = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "tif": "image/tiff", "gif": "image/gif"}
_SPEC_FORMATS_NOT_SERVED = {"jp2", "pdf"}
QUALITIES = ("default", "color", "gray", "bitonal")
# Beyond level 2 (https://iiif.io/api/image/3.0/compliance/): what info.json advertises in extra* properties.
EXTRA_FORMATS = ["webp", "tif", "gif"]
EXTRA_QUALITIES = ["bitonal"]
EXTRA_FEATURES = ["canonicalLinkHeader", "mirroring", "profileLinkHeader", "rotationArbitrary", "sizeUpscaling"]
TILE = 512

_INT = r"\d{1,9}"
_NUMBER = r"(?:\d{1,9}(?:\.\d{1,9})?|\.\d{1,9})"
_REGION_PX = re.compile(rf"({_INT}),({_INT}),({_INT}),({_INT})")
_REGION_PCT = re.compile(rf"pct:({_NUMBER}),({_NUMBER}),({_NUMBER}),({_NUMBER})")
_SIZE_W = re.compile(rf"({_INT}),")
_SIZE_H = re.compile(rf",({_INT})")
_SIZE_WH = re.compile(rf"(!?)({_INT}),({_INT})")
_SIZE_PCT = re.compile(rf"pct:({_NUMBER})")
_ROTATION = re.compile(rf"(!?)({_NUMBER})")


class ImageApiError(ValueError):
    """A request the server refuses: ``status`` is the HTTP status (400, 404, 501), the message says why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class ImageLimits:
    """The largest image the server renders (advertised in info.json as maxWidth, maxHeight, maxArea)."""

    max_width: int = 12_000
    max_height: int = 12_000
    max_area: int = 48_000_000


LIMITS = ImageLimits()


@dataclass(frozen=True)
class ImageRequest:
    """What to render: the region (full-image pixels), the output size before rotation, and the rest."""

    x: int
    y: int
    w: int
    h: int
    width: int
    height: int
    mirror: bool
    rotation: float  # clockwise degrees, 0 <= rotation < 360
    quality: str  # color | gray | bitonal ("default" resolved to the image's own)
    format: str
    canonical: str  # "region/size/rotation/quality.format" in canonical form

    @property
    def media_type(self) -> str:
        return FORMATS[self.format]

    @property
    def canonical_parts(self) -> list[str]:
        region, size, rotation, quality_format = self.canonical.split("/")
        return [region, size, rotation, quality_format]


def _bad(message: str) -> ImageApiError:
    return ImageApiError(400, message)


def _region(text: str, width: int, height: int) -> tuple[int, int, int, int]:
    """Region in full-image pixels, cropped to the image (spec 4.1)."""
    if text == "full":
        return 0, 0, width, height
    if text == "square":
        side = min(width, height)
        return (width - side) // 2, (height - side) // 2, side, side
    if m := _REGION_PX.fullmatch(text):
        x, y, w, h = (int(v) for v in m.groups())
    elif m := _REGION_PCT.fullmatch(text):
        px, py, pw, ph = (float(v) for v in m.groups())
        if pw == 0 or ph == 0:
            raise _bad(f"region {text!r}: width and height must be greater than 0")
        if px >= 100 or py >= 100:
            raise _bad(f"region {text!r} lies outside the image")
        x, y = round(px * width / 100), round(py * height / 100)
        w, h = max(1, round(pw * width / 100)), max(1, round(ph * height / 100))
    else:
        raise _bad(f"region {text!r}: expected full, square, x,y,w,h or pct:x,y,w,h")
    if w == 0 or h == 0:
        raise _bad(f"region {text!r}: width and height must be greater than 0")
    if x >= width or y >= height:
        raise _bad(f"region {text!r} lies outside the image ({width} × {height})")
    return x, y, min(w, width - x), min(h, height - y)


def _fit(rw: int, rh: int, limits: ImageLimits) -> float:
    """The largest scale of a rw × rh region that keeps within the limits."""
    return min(limits.max_width / rw, limits.max_height / rh, math.sqrt(limits.max_area / (rw * rh)))


def _scaled(rw: int, rh: int, factor: float) -> tuple[int, int]:
    return max(1, round(rw * factor)), max(1, round(rh * factor))


def _size(text: str, rw: int, rh: int, limits: ImageLimits) -> tuple[int, int, bool]:
    """Output width and height for a rw × rh region (spec 4.2), and whether that is the ``max`` size."""
    upscale = text.startswith("^")
    body = text[1:] if upscale else text
    if body == "max":
        factor = _fit(rw, rh, limits)
        w, h = _scaled(rw, rh, factor if upscale else min(1.0, factor))
        return w, h, True
    if m := _SIZE_W.fullmatch(body):
        w = int(m.group(1))
        if w == 0:
            raise _bad(f"size {text!r}: width must be greater than 0")
        h = round(rh * w / rw)
    elif m := _SIZE_H.fullmatch(body):
        h = int(m.group(1))
        if h == 0:
            raise _bad(f"size {text!r}: height must be greater than 0")
        w = round(rw * h / rh)
    elif m := _SIZE_PCT.fullmatch(body):
        n = float(m.group(1))
        if n == 0:
            raise _bad(f"size {text!r}: the percentage must be greater than 0")
        if n > 100 and not upscale:
            raise _bad(f"size {text!r}: more than 100% needs the ^ prefix (^pct:{m.group(1)})")
        w, h = round(rw * n / 100), round(rh * n / 100)
    elif m := _SIZE_WH.fullmatch(body):
        confined, bw, bh = m.group(1) == "!", int(m.group(2)), int(m.group(3))
        if bw == 0 or bh == 0:
            raise _bad(f"size {text!r}: width and height must be greater than 0")
        if confined:
            factor = min(bw / rw, bh / rh)
            w, h = min(bw, round(rw * factor)), min(bh, round(rh * factor))
        else:
            w, h = bw, bh
    else:
        raise _bad(f"size {text!r}: expected max, w,, ,h, pct:n, w,h or !w,h (each may start with ^)")
    if w == 0 or h == 0:
        raise _bad(f"size {text!r} of a {rw} × {rh} region comes to {w} × {h} pixels")
    if not upscale and (w > rw or h > rh):
        raise _bad(f"size {text!r} is larger than the {rw} × {rh} region: ask for ^{body} to upscale")
    if w > limits.max_width or h > limits.max_height or w * h > limits.max_area:
        raise _bad(f"size {text!r} comes to {w} × {h} pixels, beyond this server's limits (maxWidth "
                   f"{limits.max_width}, maxHeight {limits.max_height}, maxArea {limits.max_area})")
    return w, h, False


def _rotation(text: str) -> tuple[bool, float, str]:
    m = _ROTATION.fullmatch(text)
    if not m:
        raise _bad(f"rotation {text!r}: expected degrees from 0 to 360, optionally after ! to mirror")
    value = float(m.group(2))
    if value > 360:
        raise _bad(f"rotation {text!r}: degrees must be from 0 to 360")
    number = format(value, "f").rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return m.group(1) == "!", value % 360, f"{m.group(1)}{number}"


def _rotated_within(width: int, height: int, degrees: float, text: str, limits: ImageLimits) -> None:
    """An arbitrary angle returns the rotated image's bounding box, up to twice the area of the size asked for:
    that box, not only the size, must keep within the limits (a ``^max`` page at 45° in webp or gif, encoded
    from one buffer, took over 2 GB)."""
    if degrees % 90 == 0:
        return
    radians = math.radians(degrees)
    cos, sin = abs(math.cos(radians)), abs(math.sin(radians))
    box_w, box_h = math.ceil(width * cos + height * sin), math.ceil(width * sin + height * cos)
    if box_w > limits.max_width or box_h > limits.max_height or box_w * box_h > limits.max_area:
        raise _bad(f"rotation {text!r} of a {width} × {height} image comes to {box_w} × {box_h} pixels, beyond "
                   f"this server's limits (maxWidth {limits.max_width}, maxHeight {limits.max_height}, maxArea "
                   f"{limits.max_area}): ask for a smaller size")


def _quality_format(text: str) -> tuple[str, str]:
    quality, dot, fmt = text.rpartition(".")
    if not dot or not quality:
        raise _bad(f"{text!r}: expected quality.format, e.g. default.jpg")
    if quality not in QUALITIES:
        raise _bad(f"quality {quality!r}: expected one of {', '.join(QUALITIES)}")
    if fmt in _SPEC_FORMATS_NOT_SERVED:
        raise ImageApiError(501, f"format {fmt!r} is not served here (use {', '.join(FORMATS)})")
    if fmt not in FORMATS:
        raise _bad(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")
    return quality, fmt


def image_request_parse(region: str, size: str, rotation: str, quality_format: str, *, width: int, height: int,
                        default_quality: str = "color", limits: ImageLimits = LIMITS) -> ImageRequest:
    """Check an image request against a ``width`` × ``height`` image; the ``ImageRequest`` or ``ImageApiError``.

    Parameters are checked in the specification's order (region, size, rotation, quality, format), so the
    message names the first one that is wrong. ``default_quality`` is what ``default`` means for this image
    (``color`` or ``gray``).
    """
    x, y, w, h = _region(region, width, height)
    out_w, out_h, is_max = _size(size, w, h, limits)
    mirror, degrees, rotation_canonical = _rotation(rotation)
    _rotated_within(out_w, out_h, degrees, rotation, limits)
    quality, fmt = _quality_format(quality_format)
    resolved = default_quality if quality == "default" else quality

    region_canonical = "full" if (x, y, w, h) == (0, 0, width, height) else f"{x},{y},{w},{h}"
    if is_max or (out_w, out_h) == _scaled(w, h, min(1.0, _fit(w, h, limits))):
        size_canonical = "^max" if size.startswith("^") and (out_w > w or out_h > h) else "max"
    else:
        size_canonical = f"{'^' if out_w > w or out_h > h else ''}{out_w},{out_h}"
    quality_canonical = "default" if resolved == default_quality else resolved
    return ImageRequest(
        x=x, y=y, w=w, h=h, width=out_w, height=out_h, mirror=mirror, rotation=degrees, quality=resolved,
        format=fmt,
        canonical=f"{region_canonical}/{size_canonical}/{rotation_canonical}/{quality_canonical}.{fmt}",
    )


def scale_factors(width: int, height: int, tile: int = TILE) -> list[int]:
    """Powers of two down to the scale at which the whole image fits in one tile."""
    factors = [1]
    while max(width, height) / factors[-1] > tile:
        factors.append(factors[-1] * 2)
    return factors


def image_info(*, id: str, width: int, height: int, limits: ImageLimits = LIMITS, tile: int = TILE,
               rights: str = "") -> dict:
    """The info.json document (spec 5) of a level-2 service with our extras, tiles and sizes."""
    factors = scale_factors(width, height, tile)
    fit = min(1.0, _fit(width, height, limits))
    sizes = []
    for factor in reversed(factors):
        w, h = math.ceil(width / factor), math.ceil(height / factor)
        if w * h <= width * height * fit * fit + 1 and w <= limits.max_width and h <= limits.max_height:
            sizes.append({"width": w, "height": h})
    info: dict = {
        "@context": CONTEXT,
        "id": id,
        "type": "ImageService3",
        "protocol": "http://iiif.io/api/image",
        "profile": "level2",
        "width": width,
        "height": height,
        "maxWidth": limits.max_width,
        "maxHeight": limits.max_height,
        "maxArea": limits.max_area,
        "sizes": sizes,
        "tiles": [{"width": tile, "height": tile, "scaleFactors": factors}],
        "preferredFormats": ["jpg", "webp"],
        "extraFormats": EXTRA_FORMATS,
        "extraQualities": EXTRA_QUALITIES,
        "extraFeatures": EXTRA_FEATURES,
    }
    if rights:
        info["rights"] = rights
    return info

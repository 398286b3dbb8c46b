"""Page masters in, tiled pyramidal TIFFs out (libvips through pyvips).

Pure Python (no Django). ``master_inspect`` reads only a master's header — format, size, bands, resolution —
and refuses what the line cannot keep before a pixel is decoded: a file libvips cannot read, a format other
than TIFF, JPEG, PNG or JPEG 2000, or absurd dimensions (a decompression bomb declares billions of pixels in a
few bytes). ``pyramid_write`` converts a master once into the copy the IIIF Image API serves: 8-bit sRGB (or
grey), 256-pixel JPEG tiles, every level of the pyramid, so a tile at any size reads only the pixels it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyvips

__all__ = ["FORMATS", "ImageRefused", "MasterInfo", "master_inspect", "pyramid_write"]

# libvips loader → our format name: the masters a digitization line may deliver.
FORMATS = {"tiffload": "tiff", "jpegload": "jpeg", "pngload": "png", "jp2kload": "jp2"}
# 1.2 gigapixels: a 600 dpi A0 map; anything larger in a header is a bomb or a broken file.
MAX_PIXELS = 1_200_000_000
MAX_SIDE = 65_000
TILE = 256


class ImageRefused(ValueError):
    """The file cannot become a served page (unreadable, unsupported, absurd dimensions)."""


@dataclass(frozen=True)
class MasterInfo:
    format: str
    width: int
    height: int
    bands: int
    # libvips interpretation: "srgb", "b-w", "rgb16", "grey16", "cmyk", ...
    interpretation: str
    # Pixels per inch from the header, None when the file says nothing (libvips then reports 72 dpi or 1 px/mm).
    dpi: float | None


def _dpi(image: pyvips.Image) -> float | None:
    """The header's pixels per inch; None when it says nothing useful (libvips then reports 1 px/mm, and
    cameras and screenshots write a nominal 72 dpi)."""
    dpi = round(image.xres * 25.4, 1)
    if dpi <= 25.4 or abs(dpi - 72) < 0.5:
        return None
    return dpi


def master_inspect(path: Path | str, *, max_pixels: int = MAX_PIXELS) -> MasterInfo:
    """The master's header, or ``ImageRefused`` naming the file and the problem; no pixel is decoded."""
    name = Path(path).name
    try:
        image = pyvips.Image.new_from_file(str(path), access="sequential")
        loader = image.get("vips-loader")
    except pyvips.Error as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else "unknown error"
        raise ImageRefused(f"{name}: not a readable image ({first_line})") from None
    if loader not in FORMATS:
        raise ImageRefused(f"{name}: {loader.removesuffix('load').upper()} is not a master format "
                           f"(TIFF, JPEG, PNG or JPEG 2000)")
    if image.width > MAX_SIDE or image.height > MAX_SIDE or image.width * image.height > max_pixels:
        raise ImageRefused(f"{name}: {image.width} × {image.height} pixels is beyond what a page can be "
                           f"(at most {max_pixels} pixels, {MAX_SIDE} on a side)")
    return MasterInfo(format=FORMATS[loader], width=image.width, height=image.height, bands=image.bands,
                      interpretation=str(image.interpretation), dpi=_dpi(image))


def _for_serving(image: pyvips.Image) -> pyvips.Image:
    """8-bit sRGB or grey without alpha: what JPEG tiles and every IIIF quality can be made from."""
    if image.hasalpha():
        image = image.flatten(background=255)
    if image.interpretation in ("cmyk", "lab", "labs", "xyz", "scrgb", "hsv", "lch", "cmc", "yxy"):
        image = image.colourspace("srgb")
    if image.interpretation in ("rgb16", "grey16") or image.format not in ("uchar", "char"):
        target = "b-w" if image.bands == 1 else "srgb"
        image = image.colourspace(target) if image.interpretation in ("rgb16", "grey16") else image.cast("uchar")
    if image.bands == 2:  # grey with a leftover extra band
        image = image.extract_band(0)
    if image.bands > 3:
        image = image.extract_band(0, n=3)
    return image


def _pixels_check(master: Path | str) -> None:
    """Decode every pixel once, failing on a truncated or damaged file: libvips would otherwise fill what is
    missing with grey and keep going. A separate pass because an error raised inside the pyramid writer's
    pipeline can crash libvips 8.14."""
    try:
        pyvips.Image.new_from_file(str(master), access="sequential", fail_on="truncated").avg()
    except pyvips.Error as exc:
        lines = [line.strip() for line in str(exc).strip().splitlines()]
        detail = lines[-1] if lines else "unknown error"
        raise ImageRefused(f"{Path(master).name}: truncated or damaged ({detail})") from None


def pyramid_write(master: Path | str, out: Path | str) -> tuple[int, int]:
    """Write the tiled pyramidal TIFF of ``master`` to ``out`` (replacing it); return its width and height.

    Written to a temporary name beside ``out`` and renamed, so a reader never sees half a pyramid.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    _pixels_check(master)
    try:
        image = _for_serving(pyvips.Image.new_from_file(str(master), access="sequential"))
        image.tiffsave(str(partial), tile=True, tile_width=TILE, tile_height=TILE, pyramid=True,
                       compression="jpeg", Q=90, bigtiff=image.width * image.height > 200_000_000)
    except pyvips.Error as exc:
        partial.unlink(missing_ok=True)
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else "unknown error"
        raise ImageRefused(f"{Path(master).name}: cannot be converted ({first_line})") from None
    partial.replace(out)
    return image.width, image.height

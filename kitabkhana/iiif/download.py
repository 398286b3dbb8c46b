"""Downloads of a digitized item: a page or a range of pages as PDF, made from the served pyramids at print
resolution (a single page as JPEG is the Image API's ``full/max`` image, which needs nothing here)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

import pyvips
from django.conf import settings

from kitabkhana.core.errors import ValidationFailed
from kitabkhana.digitization.models import DigitalImage, Page
from kitabkhana.digitization.services.images import image_path
from kitabkhana.iiif.download_pdf import PdfImage, pdf_stream

# Enough for a legible print of text and engravings, a quarter of the bytes of a 300 dpi scan.
PRINT_DPI = 150
# Scans whose header says nothing about their resolution are taken as book scans at this resolution.
ASSUMED_SCAN_DPI = 300
DEFAULT_MAX_PAGES = 200


def download_max_pages() -> int:
    return int(settings.KITABKHANA.get("IIIF_DOWNLOAD_MAX_PAGES", DEFAULT_MAX_PAGES))


@dataclass(frozen=True)
class PageRange:
    first: int
    last: int

    @property
    def count(self) -> int:
        return self.last - self.first + 1


def page_range_parse(*, first: str | None, last: str | None, page_count: int, limit: int) -> PageRange:
    """The pages asked for (1-based positions in reading order), checked against the book and the cap."""
    if page_count == 0:
        raise ValidationFailed("this item has no pages yet")
    try:
        start = int(first) if first not in (None, "") else 1
        end = int(last) if last not in (None, "") else min(page_count, start + limit - 1)
    except ValueError:
        raise ValidationFailed("'from' and 'to' must be page numbers") from None
    if not 1 <= start <= end <= page_count:
        raise ValidationFailed(f"pages {start}–{end} are not within 1–{page_count}")
    if end - start + 1 > limit:
        raise ValidationFailed(f"at most {limit} pages per download: ask for a range (from=…&to=…)")
    return PageRange(start, end)


def _source_dpi(header: pyvips.Image) -> float:
    dpi = header.xres * 25.4
    # libvips says 1 px/mm when the file says nothing; cameras write a nominal 72.
    return dpi if dpi > 25.5 and abs(dpi - 72) >= 0.5 else ASSUMED_SCAN_DPI


def page_render(image: DigitalImage, *, dpi: int = PRINT_DPI) -> PdfImage:
    """The page at ``dpi`` (never enlarged) as JPEG, read from the pyramid level nearest that size."""
    path = str(image_path(image))
    header = pyvips.Image.new_from_file(path, access="sequential")
    source_dpi = _source_dpi(header)
    scale = min(1.0, dpi / source_dpi)
    width = max(1, round(header.width * scale))
    height = max(1, round(header.height * scale))
    # thumbnail picks the smallest pyramid level that still covers the size, so a page costs one level's pixels.
    page = pyvips.Image.thumbnail(path, width, height=height, size="force" if scale < 1 else "down")
    if page.hasalpha():
        page = page.flatten(background=255)
    grey = page.bands == 1
    page = page.colourspace("b-w" if grey else "srgb").cast("uchar")
    jpeg = page.jpegsave_buffer(Q=85, interlace=False, optimize_coding=True)
    return PdfImage(jpeg=jpeg, pixel_width=page.width, pixel_height=page.height, grey=grey,
                    width_points=header.width / source_dpi * 72, height_points=header.height / source_dpi * 72)


def pages_pdf(pages: list[Page], *, title: str = "") -> Iterator[bytes]:
    """The PDF of ``pages`` in order, rendered one by one as the response is sent."""
    return pdf_stream([partial(page_render, page.image) for page in pages], title=title)

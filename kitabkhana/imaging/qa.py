"""Automatic QA of page masters: what a digitization line checks on every page it ingests.

Pure Python (no Django): numpy and pyvips on a downscaled grey copy (at most ``THUMBNAIL`` pixels on the long
side), so a page costs tens of milliseconds whatever its size. ``page_check`` looks at one file and returns
its findings; the caller (``digitization.services.ingest``) stores them. The rules and thresholds, also in
docs/digitization.md:

unreadable / unsupported / oversized (blocking)
    the header cannot be read, the format is not TIFF, JPEG, PNG or JPEG 2000, or the header declares absurd
    dimensions (a decompression bomb) — ``pyramid.master_inspect`` decides; a file whose pixels cannot be
    decoded to the end (a truncated TIFF or JPEG) is unreadable too: it is decoded with libvips failing on
    truncation, where a plain load would quietly fill the missing part with grey.
resolution (blocking)
    pixels per inch of the original below the line's minimum (300 by default): from the header's resolution
    when it gives one; else from the long side against the page's physical height when the record says it
    (MARC 300 $c "24 cm"); else the long side must have at least ``Rules.min_long_side`` pixels (2400: a
    20 cm page at 300 dpi).
blank (not blocking: blank versos and endpapers are normal)
    less than ``Rules.blank_ink`` (0.05 %) of the page is ink, ink being pixels at least 60 grey levels
    darker than the paper (the median).
duplicate (blocking)
    the page's fingerprint is within ``Rules.duplicate_bits`` (26 of 256 bits, about 10 %) of an earlier
    page's. The fingerprint is a difference hash (dHash) on a 17 × 16 grey thumbnail of the page's inked area
    (margins trimmed, so a shifted rescan still matches): a 9 × 8 dHash of a whole page cannot tell two text
    pages of the same layout apart, this one separates them by more than 100 bits. Blank pages are not
    compared (blank versos are alike by nature).
colour
    a one-band (grey or bitonal) master in a colour line, or a bitonal master in a grey line: blocking (the
    scanner was set wrongly). A 16-bit or CMYK master: noted, not blocking (served as 8-bit sRGB).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyvips

from kitabkhana.imaging.pyramid import FORMATS, ImageRefused, MasterInfo, master_inspect

__all__ = ["BLANK", "COLOUR", "DUPLICATE", "OVERSIZED", "RESOLUTION", "UNREADABLE", "UNSUPPORTED", "Finding",
           "PageReport", "Rules", "fingerprint_distance", "page_check"]

# Finding kinds (the values of digitization.models.QaFinding.Kind).
UNREADABLE = "unreadable"
UNSUPPORTED = "unsupported"
OVERSIZED = "oversized"
RESOLUTION = "resolution"
BLANK = "blank"
DUPLICATE = "duplicate"
COLOUR = "colour"

THUMBNAIL = 1000
# A pixel is ink when it is this many grey levels darker than the paper (the page's median).
INK_CONTRAST = 60
FINGERPRINT_SIZE = 16  # a 17 × 16 thumbnail gives 16 × 16 = 256 bits


@dataclass(frozen=True)
class Rules:
    """A line's QA settings; the defaults are the national library's."""

    min_dpi: int = 300
    min_long_side: int = 2400
    # The original's height in centimetres (MARC 300 $c), used when the header gives no resolution.
    page_height_cm: float | None = None
    colour_mode: str = "colour"  # colour | grey | bitonal
    blank_ink: float = 0.0005
    duplicate_bits: int = 26


@dataclass(frozen=True)
class Finding:
    kind: str
    detail: str
    blocking: bool


@dataclass(frozen=True)
class PageReport:
    """What QA found in one file. ``info`` is None when the file cannot become a page at all."""

    name: str
    info: MasterInfo | None
    findings: tuple[Finding, ...] = ()
    # Hex dHash of the inked area; empty for unreadable and blank pages.
    fingerprint: str = ""
    ink: float = 0.0
    duplicate_of: str = ""

    @property
    def readable(self) -> bool:
        return self.info is not None

    @property
    def blocking(self) -> bool:
        return any(f.blocking for f in self.findings)


def _refusal_kind(path: Path) -> str:
    """Why ``master_inspect`` refused a file: unreadable, unsupported format, or absurd dimensions."""
    try:
        image = pyvips.Image.new_from_file(str(path), access="sequential")
        loader = image.get("vips-loader")
    except pyvips.Error:
        return UNREADABLE
    return OVERSIZED if loader in FORMATS else UNSUPPORTED


def _grey_thumbnail(path: Path) -> tuple[np.ndarray, pyvips.Image]:
    """The page decoded to the end (failing on truncation) and shrunk; grey 8-bit as a numpy array."""
    image = pyvips.Image.thumbnail(str(path), THUMBNAIL, fail_on="truncated").copy_memory()
    if image.hasalpha():
        image = image.flatten(background=255)
    if image.interpretation == "cmyk":
        image = image.colourspace("srgb")
    if image.format == "ushort":
        image = (image >> 8).cast("uchar")
    elif image.format != "uchar":
        image = image.cast("uchar")
    grey = image.colourspace("b-w") if image.bands >= 3 else image.extract_band(0)
    if grey.format != "uchar":
        grey = grey.cast("uchar")
    array = np.ndarray(buffer=grey.write_to_memory(), dtype=np.uint8, shape=(grey.height, grey.width))
    return array, image


def _fingerprint(grey: np.ndarray, ink: np.ndarray) -> str:
    """dHash of the inked area: each bit says whether a cell is brighter than its left neighbour."""
    ys, xs = np.nonzero(ink)
    area = grey[ys.min():ys.max() + 1, xs.min():xs.max() + 1] if len(ys) else grey
    area = np.ascontiguousarray(area)
    small = pyvips.Image.new_from_memory(area.tobytes(), area.shape[1], area.shape[0], 1, "uchar")
    small = small.thumbnail_image(FINGERPRINT_SIZE + 1, height=FINGERPRINT_SIZE, size="force")
    cells = np.ndarray(buffer=small.write_to_memory(), dtype=np.uint8, shape=(small.height, small.width))
    bits = (cells[:, 1:] > cells[:, :-1]).flatten()
    return np.packbits(bits).tobytes().hex()


def fingerprint_distance(a: str, b: str) -> int:
    """Hamming distance of two fingerprints (bits that differ)."""
    if not a or not b or len(a) != len(b):
        return 1 << 16
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _resolution(info: MasterInfo, rules: Rules) -> Finding | None:
    long_side = max(info.width, info.height)
    if info.dpi is not None:
        if info.dpi < rules.min_dpi:
            return Finding(RESOLUTION, f"{info.dpi:.0f} dpi in the file's header, below the line's {rules.min_dpi}",
                           True)
        return None
    if rules.page_height_cm:
        dpi = long_side / (rules.page_height_cm / 2.54)
        if dpi < rules.min_dpi:
            return Finding(RESOLUTION, f"{long_side} pixels for a {rules.page_height_cm:g} cm page is {dpi:.0f} dpi, "
                                       f"below the line's {rules.min_dpi}", True)
        return None
    if long_side < rules.min_long_side:
        return Finding(RESOLUTION, f"long side of {long_side} pixels and no resolution in the header: at least "
                                   f"{rules.min_long_side} expected", True)
    return None


def _two_levels(path: Path) -> bool:
    """Whether a one-band page holds only two grey levels (bitonal), judged on a picked (not averaged) subset of
    its pixels: libvips loads a 1-bit TIFF as 8-bit 0/255 and says nothing of the bit depth."""
    image = pyvips.Image.new_from_file(str(path), access="sequential")
    step = max(1, max(image.width, image.height) // THUMBNAIL)
    picked = image.subsample(step, step).extract_band(0)
    if picked.format != "uchar":
        return False
    levels = np.unique(np.ndarray(buffer=picked.write_to_memory(), dtype=np.uint8,
                                  shape=(picked.height, picked.width)))
    return len(levels) <= 2


def _colour(info: MasterInfo, path: Path, rules: Rules) -> list[Finding]:
    found: list[Finding] = []
    bands = info.bands - (1 if info.bands in (2, 4) and info.interpretation != "cmyk" else 0)
    bitonal = False
    if bands == 1:
        try:
            bitonal = _two_levels(path)
        except pyvips.Error:
            bitonal = False
    mode = "bitonal" if bitonal else "grey"
    if rules.colour_mode == "colour" and bands == 1:
        found.append(Finding(COLOUR, f"{mode} page in a colour line", True))
    elif rules.colour_mode == "grey" and bitonal:
        found.append(Finding(COLOUR, "bitonal page in a greyscale line", True))
    if info.interpretation in ("rgb16", "grey16"):
        found.append(Finding(COLOUR, "16-bit master (served as 8-bit)", False))
    elif info.interpretation == "cmyk":
        found.append(Finding(COLOUR, "CMYK master (served as sRGB)", False))
    return found


def page_check(path: Path | str, *, rules: Rules = Rules(),
               earlier: Sequence[tuple[str, str]] = ()) -> PageReport:
    """Check one page file. ``earlier`` holds (label, fingerprint) of the item's pages before it."""
    path = Path(path)
    name = path.name
    try:
        info = master_inspect(path)
    except ImageRefused as exc:
        return PageReport(name, None, (Finding(_refusal_kind(path), str(exc), True),))
    try:
        grey, _image = _grey_thumbnail(path)
    except pyvips.Error as exc:
        first = next((line.strip() for line in str(exc).splitlines()[1:] if line.strip()), "decoding failed")
        return PageReport(name, None, (Finding(UNREADABLE, f"{name}: truncated or corrupt ({first})", True),))
    findings: list[Finding] = []
    if (resolution := _resolution(info, rules)) is not None:
        findings.append(resolution)
    findings.extend(_colour(info, path, rules))
    ink_mask = grey < (int(np.median(grey)) - INK_CONTRAST)
    ink = float(ink_mask.mean())
    if ink < rules.blank_ink:
        findings.append(Finding(BLANK, f"{ink:.3%} of the page is ink", False))
        return PageReport(name, info, tuple(findings), "", ink)
    fingerprint = _fingerprint(grey, ink_mask)
    duplicate_of = ""
    for label, other in earlier:
        distance = fingerprint_distance(fingerprint, other)
        if distance <= rules.duplicate_bits:
            duplicate_of = label
            findings.append(Finding(DUPLICATE, f"looks like page {label} ({distance} of 256 bits differ)", True))
            break
    return PageReport(name, info, tuple(findings), fingerprint, ink, duplicate_of)

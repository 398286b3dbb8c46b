"""Test-wide fixtures: where the real shared data lives, and what happens when it is absent.

Tests that read ../shared/data carry ``@pytest.mark.shared_data`` and use the ``shared_data``
fixture. In a user's clone the folder may be absent and those tests skip with a reason; CI sets
KITABKHANA_REQUIRE_SHARED_DATA=1 so that an absent folder fails the run instead of hiding tests.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(os.environ.get("KITABKHANA_SHARED_DATA", Path(__file__).resolve().parent.parent / "shared" / "data"))
FIXTURES = Path(__file__).resolve().parent / "tests" / "fixtures"


def _shared_data_required() -> bool:
    return os.environ.get("KITABKHANA_REQUIRE_SHARED_DATA", "").lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SHARED_DATA.is_dir():
        return
    if _shared_data_required():
        raise pytest.UsageError(f"KITABKHANA_REQUIRE_SHARED_DATA is set but {SHARED_DATA} does not exist")
    skip = pytest.mark.skip(reason=f"real shared data not found at {SHARED_DATA} (a user's clone has none)")
    for item in items:
        if "shared_data" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The root of ../shared/data (tests using it must be marked ``shared_data``)."""
    return SHARED_DATA


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """Small permissively licensed fixture files kept in the project (tests/fixtures)."""
    return FIXTURES


@pytest.fixture(scope="session")
def cip_fonts() -> None:
    """The fonts the CIP data block's PDF embeds (Debian fonts-noto-core; `.ci/run` installs it).

    A laptop without them skips the PDF tests with the reason; CI (KITABKHANA_REQUIRE_FONTS=1) fails.
    """
    from kitabkhana.deposit.cip_block import CipFontMissing, required_fonts

    try:
        required_fonts()
    except CipFontMissing as exc:
        if os.environ.get("KITABKHANA_REQUIRE_FONTS", "").lower() in {"1", "true", "yes"}:
            raise
        pytest.skip(str(exc))


# --- page scans for the digitization tests ---------------------------------------------------------------------

# Hafez, ghazal 1 (14th century, public domain), and the opening of Sa'di's Golestan (13th century, public
# domain): the Persian text that rendered test pages carry, and so the ground truth OCR is measured against.
PERSIAN_TEXT = (
    "الا یا ایها الساقی ادر کاسا و ناولها\n"
    "که عشق آسان نمود اول ولی افتاد مشکل‌ها\n"
    "به بوی نافه‌ای کاخر صبا زان طره بگشاید\n"
    "ز تاب جعد مشکینش چه خون افتاد در دل‌ها\n"
    "منت خدای را عز و جل که طاعتش موجب قربت است\n"
    "و به شکر اندرش مزید نعمت"
)
# The opening of Jane Austen's Pride and Prejudice (1813, public domain).
ENGLISH_TEXT = (
    "It is a truth universally acknowledged, that a single man in possession\n"
    "of a good fortune, must be in want of a wife. However little known the\n"
    "feelings or views of such a man may be on his first entering a neighbourhood,\n"
    "this truth is so well fixed in the minds of the surrounding families."
)


@pytest.fixture(scope="session")
def page_scan():
    """Make a page image like a scanner's: real text set in Noto (fonts-noto-core) on off-white paper.

    ``page_scan(path, text=PERSIAN_TEXT, width=2480, height=3508, dpi=300, colour=True, blank=False)`` writes
    the file (format from the suffix: .tif, .jpg, .png, .jp2) and returns the text on it (the OCR ground truth).
    Needs libvips (Debian libvips42) with Pango, which `.ci/run` installs.
    """
    import pyvips

    def make(path: Path, text: str = PERSIAN_TEXT, *, width: int = 2480, height: int = 3508, dpi: int = 300,
             colour: bool = True, blank: bool = False) -> str:
        rtl = any("\u0600" <= ch <= "\u06ff" for ch in text)
        font = "Noto Naskh Arabic 16" if rtl else "Noto Serif 14"
        paper = pyvips.Image.black(width, height).new_from_image([243, 238, 226] if colour else [240])
        page = paper.cast("uchar")
        if not blank:
            ink = pyvips.Image.text(text, font=font, dpi=dpi, width=width - 2 * dpi // 2,
                                    align="high" if rtl else "low", justify=False)
            left = width - dpi // 2 - ink.width if rtl else dpi // 2
            mask = ink.embed(max(0, left), dpi // 2, width, height)
            ink_colour = [40, 32, 28] if colour else [30]
            page = mask.ifthenelse(ink_colour, page, blend=True).cast("uchar")
        page = page.copy(xres=dpi / 25.4, yres=dpi / 25.4)
        suffix = Path(path).suffix.lower()
        if suffix in (".tif", ".tiff"):
            page.tiffsave(str(path), resunit="inch")
        elif suffix in (".jpg", ".jpeg"):
            page.jpegsave(str(path), Q=90)
        elif suffix == ".jp2":
            page.jp2ksave(str(path))
        else:
            page.pngsave(str(path))
        return "" if blank else text

    return make

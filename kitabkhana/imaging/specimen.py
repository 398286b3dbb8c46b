"""Specimen pages: real public-domain text set in Noto on off-white paper, saved like a scanner's output.

Pure Python (pyvips with Pango, fonts from Debian fonts-noto-core). The tests, the benchmarks and the demo use
these pages where a digitization line would deliver scans; the text set on a page is its OCR ground truth.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["ENGLISH_TEXT", "PERSIAN_TEXT", "page_render"]

# Hafez, ghazal 1 (14th century, public domain), and the opening of Sa'di's Golestan (13th century, public
# domain).
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


def page_render(path: Path | str, text: str = PERSIAN_TEXT, *, width: int = 2480, height: int = 3508,
                dpi: int = 300, colour: bool = True, blank: bool = False) -> str:
    """Write a page image (format from the suffix: .tif, .jpg, .png, .jp2) and return the text on it."""
    import pyvips  # here, so the texts can be imported where libvips is absent

    rtl = any("\u0600" <= ch <= "\u06ff" for ch in text)
    font = "Noto Naskh Arabic 16" if rtl else "Noto Serif 14"
    page = pyvips.Image.black(width, height).new_from_image([243, 238, 226] if colour else [240]).cast("uchar")
    if not blank:
        ink = pyvips.Image.text(text, font=font, dpi=dpi, width=width - dpi, align="high" if rtl else "low",
                                justify=False)
        left = width - dpi // 2 - ink.width if rtl else dpi // 2
        mask = ink.embed(max(0, left), dpi // 2, width, height)
        page = mask.ifthenelse([40, 32, 28] if colour else [30], page, blend=True).cast("uchar")
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

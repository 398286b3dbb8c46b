"""OCR throughput and error rate on real-size pages: pages per minute per core, and CER per language.

  python bench/ocr.py [--pages 6] [--jobs 1] [--keep DIR]

Renders A4 pages at 300 dpi (2480×3508, the size of a book page from the line's scanners) full of real text —
Hafez and Sa'di in Persian, Austen in English, the texts the test pages carry — set in Noto like the test
fixture, then reads them with ``kitabkhana.imaging.ocr.ocr_image`` exactly as the OCR task does (grey PNG,
tesseract single-threaded, hOCR parsed). ``--jobs N`` runs N tesseracts at once to show scaling over cores.
Prints one line per language and a summary; CER is folded as the service folds it (the catalogue's
normalisation), with the strict figure (NFC and white space only) beside it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pyvips  # noqa: E402

from conftest import ENGLISH_TEXT, PERSIAN_TEXT  # noqa: E402
from kitabkhana.imaging.ocr import cer, ocr_image  # noqa: E402
from kitabkhana.scripts.normalise import normalise  # noqa: E402

WIDTH, HEIGHT, DPI = 2480, 3508, 300


def _fold(text: str) -> str:
    return " ".join(normalise(text).split())


def render(path: Path, text: str) -> str:
    """A full page of ``text`` (repeated until the page is full), returned as the page's ground truth."""
    rtl = any("\u0600" <= ch <= "\u06ff" for ch in text)
    font = "Noto Naskh Arabic 16" if rtl else "Noto Serif 14"
    margin = DPI // 2
    body = text
    while True:
        ink = pyvips.Image.text(body + "\n" + text, font=font, dpi=DPI, width=WIDTH - 2 * margin,
                                align="high" if rtl else "low", justify=False)
        if ink.height > HEIGHT - 2 * margin:
            break
        body = body + "\n" + text
    ink = pyvips.Image.text(body, font=font, dpi=DPI, width=WIDTH - 2 * margin, align="high" if rtl else "low",
                            justify=False)
    paper = pyvips.Image.black(WIDTH, HEIGHT).new_from_image([243, 238, 226]).cast("uchar")
    left = WIDTH - margin - ink.width if rtl else margin
    page = ink.embed(max(0, left), margin, WIDTH, HEIGHT).ifthenelse([40, 32, 28], paper, blend=True).cast("uchar")
    page.copy(xres=DPI / 25.4, yres=DPI / 25.4).tiffsave(str(path), compression="lzw", resunit="inch")
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=6, help="pages per language")
    parser.add_argument("--jobs", type=int, default=1, help="tesseracts at once (cores used)")
    parser.add_argument("--keep", type=Path, default=None, help="write the pages here instead of a temp dir")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="kk-bench-ocr-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"cpu cores: {os.cpu_count()}, jobs: {args.jobs}, page: {WIDTH}x{HEIGHT} at {DPI} dpi")
    all_pages = all_seconds = 0.0
    for name, text, languages in (("Persian", PERSIAN_TEXT, "fas"), ("English", ENGLISH_TEXT, "eng")):
        truths = [render(work / f"{name}-{i}.tif", text) for i in range(args.pages)]
        words = len(truths[0].split())

        def read(i: int, name=name, languages=languages):
            return ocr_image(work / f"{name}-{i}.tif", languages=languages, dpi=DPI)

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            results = list(pool.map(read, range(args.pages)))
        seconds = time.perf_counter() - started
        per_core = args.pages / seconds * 60 / args.jobs
        folded = sum(cer(r.page.text, t, fold=_fold) for r, t in zip(results, truths, strict=True)) / args.pages
        strict = sum(cer(r.page.text, t) for r, t in zip(results, truths, strict=True)) / args.pages
        print(f"{name:8} {languages:4} {args.pages} pages of ~{words} words in {seconds:6.1f} s: "
              f"{per_core:5.1f} pages/min/core, CER {folded:.4f} (strict {strict:.4f})")
        all_pages += args.pages
        all_seconds += seconds
    print(f"overall: {all_pages / all_seconds * 60 / args.jobs:.1f} pages/min/core")


if __name__ == "__main__":
    main()

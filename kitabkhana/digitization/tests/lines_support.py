"""Shared helpers of the digitization-line tests (test_lines, test_ingest, test_views): small MARC records,
distinct page texts, and a folder of rendered pages."""

from __future__ import annotations

from pathlib import Path

import pymarc

# Lines of Hafez's first ghazal and Sa'di's Golestan (public domain); rotating them gives pages whose text
# differs as two pages of one book do (same layout, other words).
PERSIAN_LINES = [
    "الا یا ایها الساقی ادر کاسا و ناولها",
    "که عشق آسان نمود اول ولی افتاد مشکل‌ها",
    "به بوی نافه‌ای کاخر صبا زان طره بگشاید",
    "ز تاب جعد مشکینش چه خون افتاد در دل‌ها",
    "منت خدای را عز و جل که طاعتش موجب قربت است",
    "و به شکر اندرش مزید نعمت",
]
# Small pages keep the suite fast; 300 dpi in the header, as a scanner writes.
SIZE = {"width": 1200, "height": 1700}


def page_text(n: int) -> str:
    """The text of page ``n`` (0-based): the same n gives the same page, another n another page."""
    lines = PERSIAN_LINES[n % len(PERSIAN_LINES):] + PERSIAN_LINES[:n % len(PERSIAN_LINES)]
    return "\n".join(lines[: 3 + n % 3]) if n < len(PERSIAN_LINES) else "\n".join(reversed(lines))


def book(*, title: str, language: str = "per", control: str = "1", height: str = "24 cm",
         languages_041: list[str] | None = None) -> pymarc.Record:
    r = pymarc.Record(force_utf8=True)
    r.leader = pymarc.Leader("00000nam a2200000 i 4500")
    r.add_field(pymarc.Field(tag="001", data=control))
    r.add_field(pymarc.Field(tag="008", data=f"200101s1990    ir            000 0 {language} d"))
    if languages_041:
        r.add_field(pymarc.Field(tag="041", indicators=["0", " "],
                                 subfields=[pymarc.Subfield("a", code) for code in languages_041]))
    r.add_field(pymarc.Field(tag="245", indicators=["1", "0"], subfields=[pymarc.Subfield("a", title)]))
    if height:
        r.add_field(pymarc.Field(tag="300", indicators=[" ", " "],
                                 subfields=[pymarc.Subfield("a", "120 p."), pymarc.Subfield("c", height)]))
    return r


def record(**kwargs):
    from kitabkhana.catalogue.services.records import record_create

    return record_create(marc_record=book(**kwargs), flavour="marc21")


def folder_of_pages(page_scan, folder: Path, count: int, suffix: str = ".tif", start: int = 1) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(start, start + count):
        path = folder / f"{n:04d}{suffix}"
        page_scan(path, page_text(n), **SIZE)
        paths.append(path)
    return paths

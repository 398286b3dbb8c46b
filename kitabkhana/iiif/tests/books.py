"""Digitized books for the Presentation, download and reader tests: real catalogue records (demo/) and real
page images made with the ``page_scan`` fixture, registered through ``image_register`` as ingest does."""

from __future__ import annotations

from pathlib import Path

from kitabkhana.accounts.services import institution_default
from kitabkhana.catalogue.models import Record
from kitabkhana.catalogue.services.importing import marc_file_import
from kitabkhana.digitization.models import Access, DigitalItem, Page, Project, StageEvent
from kitabkhana.digitization.services.images import image_register

DEMO = Path(__file__).resolve().parents[3] / "demo"
# LC's 880 fixtures: "Majmūʻah-ʼi maqālāt-i hamāyish-i Dū sadah-ʼi sukhanvarī" with its Persian original (880),
# published in Tehran, 1398 SH.
PERSIAN_CONTROL = "|21508109"
ENGLISH_TEXT = "It is a truth universally acknowledged, that a single man in possession of a good fortune."
PERSIAN_TEXT = "الا یا ایها الساقی ادر کاسا و ناولها\nکه عشق آسان نمود اول ولی افتاد مشکل‌ها"


def persian_record() -> Record:
    job = marc_file_import(path=DEMO / "lc-convspec-880-fixtures.xml")
    assert job.status == "done", job.error
    return Record.objects.get(control_key__endswith=PERSIAN_CONTROL)


def english_record() -> Record:
    job = marc_file_import(path=DEMO / "traject-test_data.utf8.mrc")
    assert job.status == "done", job.error
    return Record.objects.filter(languages__startswith="eng", material_type="book").order_by("pk").first()


def project(code: str = "rare-books") -> Project:
    found = Project.objects.filter(code=code).first()
    return found or Project.objects.create(code=code, name="Rare books", names={"fa": "کتاب‌های نادر"},
                                           institution=institution_default())


def digitize(record: Record, page_scan, folder: Path, *, pages: int = 3, text: str = PERSIAN_TEXT,
             size: tuple[int, int] = (600, 850), dpi: int = 100, project_code: str = "rare-books",
             **fields) -> DigitalItem:
    """A published item of ``record`` with ``pages`` scanned pages (labels "۱", "۲"… for Persian books)."""
    rtl = "right-to-left" if any("\u0600" <= ch <= "\u06ff" for ch in text) else "left-to-right"
    values = {"access": Access.OPEN, "stage": DigitalItem.Stage.PUBLISHED, "viewing_direction": rtl,
              "rights": "http://creativecommons.org/publicdomain/mark/1.0/", **fields}
    item = DigitalItem.objects.create(project=project(project_code), record=record, **values)
    if item.stage == DigitalItem.Stage.PUBLISHED:
        StageEvent.objects.create(item=item, stage=DigitalItem.Stage.PUBLISHED)
    folder.mkdir(parents=True, exist_ok=True)
    for order in range(1, pages + 1):
        path = folder / f"{project_code}-{record.pk}-{order:04d}.tif"
        page_scan(path, text, width=size[0], height=size[1], dpi=dpi)
        image = image_register(source=path, identifier=f"{project_code}-{record.pk}-p{order}")
        label = "۰۱۲۳۴۵۶۷۸۹"[order] if rtl == "right-to-left" and order < 10 else str(order)
        Page.objects.create(item=item, order=order, label=label, image=image, source_name=path.name)
    return item

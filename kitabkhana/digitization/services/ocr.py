"""OCR of digitized pages: the background task and its steps, and the ground truth character error rate is
measured on.

Pages are read with tesseract (``kitabkhana.imaging.ocr``) in the languages of the item's catalogue record, from
the untouched master (not the served pyramid, whose tiles are JPEG-compressed). Each page is stored as it is
done, so a run that stops resumes where it was: pages that have OCR are skipped unless forced. ``search_text``
holds the page's words as the catalogue tokenises them (``kitabkhana.scripts.normalise``), so search inside a
book matches Persian and Arabic letter variants, ZWNJ and diacritics the way catalogue search does.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from kitabkhana.catalogue.selectors import record_marc
from kitabkhana.core.errors import ValidationFailed
from kitabkhana.digitization.models import DigitalItem, OcrPage, Page
from kitabkhana.digitization.selectors import ocr_fold
from kitabkhana.digitization.services.images import image_path
from kitabkhana.digitization.services.indexing import item_record_reindex
from kitabkhana.imaging.ocr import (
    OcrFailed,
    cer,
    ocr_image,
    tesseract_installed_languages,
    tesseract_languages,
)
from kitabkhana.imaging.pyramid import ImageRefused, master_inspect
from kitabkhana.marc.derive import summarise
from kitabkhana.scripts.normalise import tokens
from kitabkhana.tasks.models import TaskRun
from kitabkhana.tasks.registry import Progress, task
from kitabkhana.tasks.services import task_enqueue

log = logging.getLogger(__name__)

__all__ = ["item_languages", "item_ocr", "item_ocr_enqueue", "ocr_ground_truth_set", "ocr_task",
           "page_ocr", "search_text"]


def search_text(text: str) -> str:
    """The text's words as the catalogue tokenises them, one space apart and one space at each end, so that
    ``contains(" word ")`` is a whole-word match in any database."""
    words = tokens(text)
    return f" {' '.join(words)} " if words else ""


def item_languages(item: DigitalItem) -> str:
    """The tesseract languages of the item's record (008/35-37 first, then 041 $a), e.g. ``"fas+ara"``."""
    record = item.record
    codes = summarise(record_marc(record), record.flavour).languages or [
        c.strip() for c in record.languages.split(",") if c.strip()]
    installed = tesseract_installed_languages()
    return tesseract_languages(codes, installed=installed or None)


def page_ocr(*, page: Page, languages: str, force: bool = False) -> OcrPage | None:
    """Recognise one page and store its OCR; None when it already had OCR and ``force`` is not set.

    Tesseract runs outside any transaction (it takes seconds); the row is written in one. A forced re-run keeps
    the page's ground truth and measures the new text against it.
    """
    if not force and OcrPage.objects.filter(page=page).exists():
        return None
    image = page.image
    master = image_path(image, "master")
    try:
        dpi = master_inspect(master).dpi
    except ImageRefused as exc:
        raise OcrFailed(str(exc)) from None
    result = ocr_image(master, languages=languages, dpi=dpi, image_name=image.identifier)
    text = result.page.text
    with transaction.atomic():
        ocr, _ = OcrPage.objects.select_for_update().update_or_create(page=page, defaults={
            "languages": languages, "hocr": result.hocr, "text": text, "search_text": search_text(text),
            "mean_confidence": result.page.mean_confidence,
        })
        if ocr.ground_truth:
            ocr.cer = cer(text, ocr.ground_truth, fold=ocr_fold)
            ocr.save(update_fields=["cer"])
    return ocr


def item_ocr(*, item: DigitalItem, pages: list[int] | None = None, force: bool = False,
             languages: str | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """OCR an item's pages (all, or those whose ``order`` is in ``pages``) in its record's languages.

    Safe to run twice: pages with OCR are skipped unless ``force``. A page that cannot be read is reported and
    the others go on; if no page could be read the run fails with the first reason.
    """
    languages = languages or item_languages(item)
    queryset = item.pages.select_related("image").order_by("order")
    if pages:
        queryset = queryset.filter(order__in=pages)
    todo = list(queryset)
    if progress is not None:
        progress.set_total(len(todo))
    done = skipped = 0
    failed: list[dict[str, Any]] = []
    for number, page in enumerate(todo, start=1):
        try:
            stored = page_ocr(page=page, languages=languages, force=force)
        except OcrFailed as exc:
            log.warning("OCR of item %s page %s failed: %s", item.pk, page.order, exc)
            failed.append({"page": page.order, "error": str(exc)})
        else:
            if stored is None:
                skipped += 1
            else:
                done += 1
        if progress is not None:
            progress.advance(number, f"page {page.order} of {len(todo)}")
    if failed and not done and not skipped:
        raise OcrFailed(f"no page of item {item.pk} could be read: {failed[0]['error']}")
    if done:
        item_record_reindex(item)
    return {"item": item.pk, "languages": languages, "pages": len(todo), "done": done, "skipped": skipped,
            "failed": failed}


@task("digitization.ocr")
def ocr_task(*, progress: Progress, item: int, pages: list[int] | None = None, force: bool = False,
             languages: str | None = None) -> dict[str, Any]:
    """The background run of ``item_ocr``: ``{"item": id}``, optionally ``{"pages": [orders], "force": true}``."""
    digital_item = DigitalItem.objects.select_related("record").get(pk=item)
    return item_ocr(item=digital_item, pages=pages, force=force, languages=languages, progress=progress)


def item_ocr_enqueue(*, item: DigitalItem, pages: list[int] | None = None, force: bool = False,
                     user=None) -> TaskRun:
    """Queue the OCR of an item as a background task (it starts after the caller's transaction commits)."""
    arguments: dict[str, Any] = {"item": item.pk}
    if pages:
        arguments["pages"] = sorted(set(pages))
    if force:
        arguments["force"] = True
    return task_enqueue(name="digitization.ocr", arguments=arguments, created_by=user)


@transaction.atomic
def ocr_ground_truth_set(*, page: Page, text: str) -> OcrPage:
    """Keep the transcription staff typed for a page and measure the page's character error rate against it.

    The page must have OCR; an empty text removes the ground truth (and the measure).
    """
    ocr = OcrPage.objects.select_for_update().filter(page=page).first()
    if ocr is None:
        raise ValidationFailed(f"page {page.order} of item {page.item_id} has no OCR yet: run OCR first")
    ocr.ground_truth = text.strip()
    ocr.cer = cer(ocr.text, ocr.ground_truth, fold=ocr_fold) if ocr.ground_truth else None
    ocr.save(update_fields=["ground_truth", "cer"])
    return ocr

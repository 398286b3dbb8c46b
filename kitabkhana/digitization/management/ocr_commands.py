"""The OCR subcommands of ``kitabkhana digitization``: ``ocr`` reads an item's pages, ``ocr-cer`` reports a
batch's character error rate. Kept here so the command module stays a list of subcommands."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from kitabkhana.digitization.models import Batch, DigitalItem
from kitabkhana.digitization.selectors import batch_cer
from kitabkhana.digitization.services.ocr import item_ocr, item_ocr_enqueue
from kitabkhana.imaging.ocr import OcrFailed

HELP = """\
  kitabkhana digitization ocr ITEM_ID [--page N ...] [--force] [--languages fas+ara] [--background]
  kitabkhana digitization ocr-cer BATCH_ID [--json]

ocr reads the item's pages with tesseract in its record's languages; pages with OCR are skipped unless --force
(run it again to resume); --background queues the task "digitization.ocr" instead. ocr-cer prints each page
with ground truth, the mean CER and the overall rate (characters of all pages together); OCR text and ground
truth are compared after the catalogue's normalisation.
"""


def add_parsers(sub) -> None:
    ocr = sub.add_parser("ocr", help="read an item's pages with tesseract")
    ocr.add_argument("item", type=int, metavar="ITEM_ID")
    ocr.add_argument("--page", dest="pages", type=int, action="append", metavar="N",
                     help="only this page (its order); repeat for more")
    ocr.add_argument("--force", action="store_true", help="read pages again that already have OCR")
    ocr.add_argument("--languages", default=None, help="tesseract languages instead of the record's")
    ocr.add_argument("--background", action="store_true", help="queue a task and return")
    cer = sub.add_parser("ocr-cer", help="character error rate of a batch's pages with ground truth")
    cer.add_argument("batch", type=int, metavar="BATCH_ID")
    cer.add_argument("--json", action="store_true")


def ocr(command: BaseCommand, *, item: int, pages: list[int] | None, force: bool, languages: str | None,
        background: bool, **options) -> None:
    digital_item = DigitalItem.objects.select_related("record").filter(pk=item).first()
    if digital_item is None:
        raise CommandError(f"no digitized item {item}")
    if background:
        run = item_ocr_enqueue(item=digital_item, pages=pages, force=force)
        command.stdout.write(f"queued task {run.pk}")
        return
    try:
        result = item_ocr(item=digital_item, pages=pages, force=force, languages=languages)
    except OcrFailed as exc:
        raise CommandError(str(exc)) from exc
    for failure in result["failed"]:
        command.stderr.write(f"page {failure['page']}: {failure['error']}")
    command.stdout.write(f"item {item} ({result['languages']}): {result['done']} pages read, "
                         f"{result['skipped']} already had OCR, {len(result['failed'])} failed")


def ocr_cer(command: BaseCommand, *, batch: int, **options) -> None:
    found = Batch.objects.select_related("project").filter(pk=batch).first()
    if found is None:
        raise CommandError(f"no batch {batch}")
    result = batch_cer(batch=found)
    if options.get("json"):
        command.stdout.write(json.dumps({
            "batch": found.pk, "mean": result.mean, "overall": result.overall,
            "pages": [{"item": p.page.item_id, "page": p.page.order, "cer": p.cer, "characters": p.length}
                      for p in result.pages],
        }))
        return
    if not result.pages:
        command.stdout.write(f"batch {found}: no page with ground truth")
        return
    for p in result.pages:
        command.stdout.write(f"item {p.page.item_id} page {p.page.order}: {p.cer:.4f} ({p.length} characters)")
    command.stdout.write(f"batch {found}: {len(result.pages)} pages, mean CER {result.mean:.4f}, "
                         f"overall {result.overall:.4f}")


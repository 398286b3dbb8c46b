"""OCR of digitized pages: tesseract on real rendered pages (Persian and English), hOCR read into boxes, MARC
languages to tesseract's, the character error rate, the resumable OCR task, ground truth and CER per batch."""

from __future__ import annotations

import json
from pathlib import Path

import pymarc
import pytest
from django.core.management import call_command

from conftest import ENGLISH_TEXT, PERSIAN_TEXT
from kitabkhana.accounts.services import institution_default
from kitabkhana.catalogue.services.records import record_create
from kitabkhana.core.errors import ValidationFailed
from kitabkhana.digitization.models import Access, Batch, DigitalItem, OcrPage, Page, Project
from kitabkhana.digitization.selectors import batch_cer, ocr_fold
from kitabkhana.digitization.services.images import image_register
from kitabkhana.digitization.services.ocr import item_languages, item_ocr, ocr_ground_truth_set
from kitabkhana.imaging.ocr import (
    Box,
    OcrFailed,
    cer,
    hocr_parse,
    hocr_scale,
    ocr_image,
    page_find,
    tesseract_languages,
)
from kitabkhana.scripts.normalise import tokens
from kitabkhana.tasks.models import TaskRun, TaskStatus
from kitabkhana.tasks.services import task_execute

# Measured with tesseract 5.3.0 (Debian fas/eng models) on these 1600-pixel pages at 300 dpi: Persian 0.0045
# strict (one letter of 221), 0.0 after the catalogue's normalisation; English 0.0. The thresholds leave room
# for another tesseract or model release, not for a broken pipeline.
PERSIAN_CER_MAX = 0.05
ENGLISH_CER_MAX = 0.03
PAGE = {"width": 1600, "height": 1200}


def record_with_languages(main: str, *others: str):
    marc = pymarc.Record(force_utf8=True)
    marc.add_field(pymarc.Field(tag="008", data=f"260101s2020    ir {' ' * 17}{main} d"))
    if others:
        marc.add_field(pymarc.Field(tag="041", indicators=pymarc.Indicators("0", " "),
                                    subfields=[pymarc.Subfield("a", code) for code in (main, *others)]))
    marc.add_field(pymarc.Field(tag="245", indicators=pymarc.Indicators("0", "0"),
                                subfields=[pymarc.Subfield("a", "دیوان حافظ")]))
    return record_create(marc_record=marc, flavour="marc21")


def make_book(tmp_path: Path, page_scan, *, texts: list[str], languages: tuple[str, ...] = ("per",),
              access: str = Access.OPEN, stage: str = DigitalItem.Stage.PUBLISHED, batch: Batch | None = None,
              name: str = "book") -> DigitalItem:
    """A digitized item whose pages are rendered scans of ``texts`` (the data directory must be tmp_path)."""
    record = record_with_languages(*languages)
    project, _ = Project.objects.get_or_create(code="ocr-line", defaults={
        "name": "OCR line", "institution": institution_default()})
    item = DigitalItem.objects.create(project=project, record=record, access=access, stage=stage, batch=batch)
    for order, text in enumerate(texts, start=1):
        source = tmp_path / "scans" / f"{name}-{order:03d}.png"
        source.parent.mkdir(parents=True, exist_ok=True)
        page_scan(source, text, **PAGE)
        image = image_register(source=source, identifier=f"{name}-{item.pk}-{order}")
        Page.objects.create(item=item, order=order, label=str(order), image=image, source_name=source.name)
    return item


@pytest.fixture
def data_dir(tmp_path, settings) -> Path:
    settings.KITABKHANA = {**settings.KITABKHANA, "DATA_DIR": tmp_path / "data"}
    return tmp_path / "data"


# --- languages -------------------------------------------------------------------------------------------------


def test_marc_languages_map_to_tesseract_main_language_first():
    """008/35-37 leads; several languages are joined with '+'; MARC's own codes (per, arm, chi) are translated."""
    assert tesseract_languages(["per", "ara"]) == "fas+ara"
    assert tesseract_languages(["arm"]) == "hye"
    assert tesseract_languages(["chi", "eng"]) == "chi_sim+eng"
    assert tesseract_languages(["rus", "kaz", "tgk", "uzb", "tur"]) == "rus+kaz+tgk"  # at most three
    assert tesseract_languages(["per", "fas"]) == "fas"


def test_unknown_or_uninstalled_languages_read_as_english():
    assert tesseract_languages([]) == "eng"
    assert tesseract_languages(["zxx", "und", "xyz"]) == "eng"
    assert tesseract_languages(["per", "fre"], installed={"fas", "eng"}) == "fas"
    assert tesseract_languages(["fre"], installed={"fas", "eng"}) == "eng"


@pytest.mark.django_db
def test_item_languages_come_from_the_record():
    """The language string is read from the record's MARC (008 and 041 $a) through the catalogue."""
    record = record_with_languages("per", "ara")
    project = Project.objects.create(code="p", name="P", institution=institution_default())
    item = DigitalItem.objects.create(project=project, record=record)
    assert item_languages(item) == "fas+ara"


# --- hOCR ------------------------------------------------------------------------------------------------------

HOCR = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
    "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head><title></title></head><body>
 <div class='ocr_page' id='page_1' title='image "/tmp/x.png"; bbox 0 0 1000 800; ppageno 0'>
  <div class='ocr_carea' title="bbox 100 100 900 300">
   <p class='ocr_par' dir='rtl' title="bbox 100 100 900 150">
    <span class='ocr_line' title="bbox 100 100 900 150; baseline 0 -10; x_size 40; x_descenders 8; x_ascenders 10">
     <span class='ocrx_word' title='bbox 800 100 900 150; x_wconf 91'>كتاب</span>
     <span class='ocrx_word' title='bbox 600 100 780 150; x_wconf 85'>می‌روم</span>
     <span class='ocrx_word' title='bbox 500 100 550 150; x_wconf 10'> </span>
    </span>
   </p>
   <p class='ocr_par' title="bbox 100 200 900 250">
    <span class='ocr_line' title="bbox 100 200 900 250"><span class='ocrx_word' title='bbox 100 200 300 250; x_wconf 70'><strong>Hafez</strong></span></span>
    <span class='ocr_line' title="bbox 100 260 900 300"><span class='ocrx_word' title='bbox 100 260 300 300; x_wconf 60'>Shiraz</span></span>
   </p>
  </div>
 </div>
</body></html>"""


def test_hocr_parse_gives_lines_words_boxes_confidences_and_text():
    """Words keep the document's (reading) order, empty words are dropped, paragraphs become blank lines."""
    page = hocr_parse(HOCR)
    assert (page.width, page.height) == (1000, 800)
    assert [w.text for w in page.words] == ["كتاب", "می‌روم", "Hafez", "Shiraz"]
    assert page.words[0].box == Box(800, 100, 900, 150) and page.words[0].box.xywh == "800,100,100,50"
    assert page.words[0].confidence == 91.0
    assert page.text == "كتاب می‌روم\n\nHafez\nShiraz"
    assert page.mean_confidence == pytest.approx((91 + 85 + 70 + 60) / 4)


def test_hocr_with_entities_is_refused():
    evil = '<?xml version="1.0"?><!DOCTYPE html [<!ENTITY x "boom">]><html><body>&x;</body></html>'
    with pytest.raises(ValueError, match="refused"):
        hocr_parse(evil)
    with pytest.raises(ValueError, match="well-formed"):
        hocr_parse("<html><body><span class='ocrx_word'>")


def test_hocr_scale_puts_boxes_back_in_master_pixels():
    scaled = hocr_scale(HOCR, 2.0, image_name="page-7")
    page = hocr_parse(scaled)
    assert (page.width, page.height) == (2000, 1600)
    assert page.words[0].box == Box(1600, 200, 1800, 300)
    assert 'image "page-7"' in scaled and "/tmp/x.png" not in scaled


def test_page_find_matches_letter_variants_phrases_and_words():
    """Arabic ي/ك in the query find Persian ی/ک on the page and the reverse; a phrase gives one hit."""
    page = hocr_parse(HOCR)
    [hit] = page_find(page, tokens("کتاب"), tokenise=tokens)
    assert hit.exact == "كتاب" and hit.suffix == " می‌روم Hafez Shiraz"
    [phrase] = page_find(page, tokens("hafez shiraz"), tokenise=tokens)
    assert [w.text for w in phrase.words] == ["Hafez", "Shiraz"] and phrase.box == Box(100, 200, 300, 300)
    assert page_find(page, tokens("hafez tehran"), tokenise=tokens) == []
    assert len(page_find(page, tokens("shiraz كتاب"), tokenise=tokens)) == 2  # both words, not as a phrase


# --- character error rate ---------------------------------------------------------------------------------------


def test_cer_is_edits_over_reference_length():
    assert cer("abc", "abc") == 0.0
    assert cer("abd", "abcd") == pytest.approx(0.25)
    assert cer("a  b\nc", "a b c") == 0.0  # white space is folded
    assert cer("", "") == 0.0 and cer("x", "") == 1.0
    # Strictly, Arabic ي against Persian ی is an error; folded as the catalogue folds, it is not.
    assert cer("علي", "علی") == pytest.approx(1 / 3)
    assert cer("علي", "علی", fold=ocr_fold) == 0.0


# --- tesseract on rendered pages ---------------------------------------------------------------------------------


def test_persian_page_is_read_with_low_cer_and_boxes_inside_the_page(tmp_path, page_scan):
    truth = page_scan(tmp_path / "fa.png", PERSIAN_TEXT, **PAGE)
    result = ocr_image(tmp_path / "fa.png", languages="fas", dpi=300)
    assert cer(result.page.text, truth) < PERSIAN_CER_MAX
    assert cer(result.page.text, truth, fold=ocr_fold) < PERSIAN_CER_MAX
    assert (result.page.width, result.page.height) == (PAGE["width"], PAGE["height"])
    for word in result.page.words:
        assert 0 <= word.box.x0 < word.box.x1 <= PAGE["width"] and 0 <= word.box.y0 < word.box.y1 <= PAGE["height"]
    # Reading order: the first line starts with its first word, الا, which sits rightmost on its line.
    first_line = result.page.lines[0]
    assert first_line.words[0].text == "الا"
    assert first_line.words[0].box.x0 > first_line.words[-1].box.x0
    assert result.page.mean_confidence > 60


def test_english_page_is_read(tmp_path, page_scan):
    truth = page_scan(tmp_path / "en.jpg", ENGLISH_TEXT, **PAGE)
    result = ocr_image(tmp_path / "en.jpg", languages="eng")
    assert cer(result.page.text, truth) < ENGLISH_CER_MAX


def test_a_fine_master_is_read_at_300_dpi_and_boxes_come_back_in_its_pixels(tmp_path, page_scan):
    page_scan(tmp_path / "fine.tif", ENGLISH_TEXT, width=3200, height=2400, dpi=600, colour=False)
    result = ocr_image(tmp_path / "fine.tif", languages="eng", dpi=600)
    assert result.scale == pytest.approx(0.5)
    assert (result.page.width, result.page.height) == (3200, 2400)
    assert cer(result.page.text, ENGLISH_TEXT) < ENGLISH_CER_MAX
    assert max(w.box.x1 for w in result.page.words) > 1600  # boxes are in the master's pixels, not the half


def test_a_16_bit_master_is_read(tmp_path, page_scan):
    """Masters from the line's cameras are often 16 bits per channel; tesseract is given 8-bit grey."""
    import pyvips

    page_scan(tmp_path / "p.png", ENGLISH_TEXT, **PAGE)
    deep = (pyvips.Image.new_from_file(str(tmp_path / "p.png")).cast("ushort") * 257).cast("ushort")
    deep = deep.copy(interpretation="rgb16")
    for master in (deep, deep.colourspace("grey16")):
        master.tiffsave(str(tmp_path / "deep.tif"))
        assert cer(ocr_image(tmp_path / "deep.tif", languages="eng").page.text, ENGLISH_TEXT) < ENGLISH_CER_MAX


def test_tesseract_failures_are_reported(tmp_path, page_scan):
    page_scan(tmp_path / "p.png", ENGLISH_TEXT, width=400, height=300)
    with pytest.raises(OcrFailed, match="not installed"):
        ocr_image(tmp_path / "p.png", binary="no-such-tesseract")
    with pytest.raises(OcrFailed, match="language"):
        ocr_image(tmp_path / "p.png", languages="fas; rm -rf /")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    with pytest.raises(OcrFailed, match="not a readable image"):
        ocr_image(tmp_path / "broken.png")


# --- the service, the task, ground truth ------------------------------------------------------------------------


@pytest.mark.django_db
def test_item_ocr_stores_pages_and_resumes(tmp_path, page_scan, data_dir):
    """Every page is stored with hOCR, text, normalised search text and confidence; a second run skips them."""
    item = make_book(tmp_path, page_scan, texts=[PERSIAN_TEXT, PERSIAN_TEXT])
    result = item_ocr(item=item)
    assert result == {"item": item.pk, "languages": "fas", "pages": 2, "done": 2, "skipped": 0, "failed": []}
    ocr = OcrPage.objects.get(page__item=item, page__order=1)
    assert ocr.languages == "fas" and "ocrx_word" in ocr.hocr and ocr.mean_confidence > 60
    assert "عشق" in ocr.text
    # The catalogue's normalisation: ZWNJ gone (مشکل‌ها → مشکلها), one space around every word.
    assert " مشکلها " in ocr.search_text and "\u200c" not in ocr.search_text
    assert item_ocr(item=item)["skipped"] == 2
    again = item_ocr(item=item, pages=[2], force=True)
    assert (again["pages"], again["done"]) == (1, 1)


@pytest.mark.django_db
def test_ocr_task_runs_with_progress(tmp_path, page_scan, data_dir):
    item = make_book(tmp_path, page_scan, texts=[ENGLISH_TEXT], languages=("eng",))
    run = TaskRun.objects.create(name="digitization.ocr", arguments={"item": item.pk})
    run = task_execute(run.pk)
    assert run.status == TaskStatus.DONE, run.error
    assert run.result["done"] == 1 and run.total == 1
    assert OcrPage.objects.get(page__item=item).languages == "eng"


@pytest.mark.django_db
def test_ground_truth_gives_page_and_batch_cer(tmp_path, page_scan, data_dir):
    """CER is measured on the typed transcription, kept over a forced re-run, and summed up per batch."""
    project = Project.objects.create(code="ocr-line", name="OCR line", institution=institution_default())
    batch = Batch.objects.create(project=project, name="2026-11")
    item = make_book(tmp_path, page_scan, texts=[PERSIAN_TEXT, ENGLISH_TEXT], batch=batch)
    first, second = item.pages.order_by("order")
    with pytest.raises(ValidationFailed, match="no OCR yet"):
        ocr_ground_truth_set(page=first, text=PERSIAN_TEXT)
    item_ocr(item=item)
    ocr = ocr_ground_truth_set(page=first, text=PERSIAN_TEXT)
    assert ocr.cer is not None and ocr.cer < PERSIAN_CER_MAX
    ocr_ground_truth_set(page=second, text=ENGLISH_TEXT[:100] + "an extra sentence that was not on the page")
    item_ocr(item=item, pages=[1], force=True)
    assert OcrPage.objects.get(page=first).ground_truth == PERSIAN_TEXT.strip()
    result = batch_cer(batch=batch)
    assert [p.page.order for p in result.pages] == [1, 2]
    assert result.pages[1].cer > 0.3
    assert result.mean == pytest.approx((result.pages[0].cer + result.pages[1].cer) / 2)
    assert result.pages[0].cer <= result.overall <= result.pages[1].cer
    # Empty text removes the ground truth and its measure.
    assert ocr_ground_truth_set(page=second, text="  ").cer is None


@pytest.mark.django_db
def test_digitization_ocr_and_ocr_cer_subcommands(tmp_path, page_scan, data_dir, capsys):
    project = Project.objects.create(code="ocr-line", name="OCR line", institution=institution_default())
    batch = Batch.objects.create(project=project, name="b1")
    item = make_book(tmp_path, page_scan, texts=[ENGLISH_TEXT], languages=("eng",), batch=batch)
    call_command("digitization", "ocr", str(item.pk))
    assert "1 pages read" in capsys.readouterr().out
    call_command("digitization", "ocr", str(item.pk))
    assert "1 already had OCR" in capsys.readouterr().out
    call_command("digitization", "ocr-cer", str(batch.pk))
    assert "no page with ground truth" in capsys.readouterr().out
    ocr_ground_truth_set(page=item.pages.get(), text=ENGLISH_TEXT)
    call_command("digitization", "ocr-cer", str(batch.pk), "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["mean"] < ENGLISH_CER_MAX and report["pages"][0]["page"] == 1

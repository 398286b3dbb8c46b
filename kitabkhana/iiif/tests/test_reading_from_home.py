"""Issue 5, "done means": a folder of page scans becomes, in one run, a published book that a reader at home
opens in the viewer, searches inside in Persian, and downloads where allowed."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client
from pypdf import PdfReader

from kitabkhana.digitization.models import AccessLogEntry, DigitalItem, OcrPage
from kitabkhana.iiif.tests.books import persian_record
from kitabkhana.imaging.specimen import PERSIAN_TEXT

pytestmark = pytest.mark.django_db


def test_a_folder_of_scans_becomes_a_book_read_searched_and_downloaded_from_home(
        tmp_path, page_scan, django_capture_on_commit_callbacks):
    record = persian_record()
    folder = tmp_path / "scans"
    folder.mkdir()
    # A scanner's folder: four Persian pages, named as a line names them (natural order: 2 before 10).
    lines = PERSIAN_TEXT.split("\n")
    texts = {1: lines[0:2], 2: lines[2:4], 3: lines[4:6], 10: lines}
    for number, text in texts.items():
        page_scan(folder / f"page-{number}.tif", "\n".join(text), width=1600, height=2260, dpi=300)

    # One run: project, ingest with QA, publication for registered readers, OCR.
    call_command("digitization", "project", "add", "manuscripts", "--name", "Manuscripts", "--institution", "NL",
                 stdout=io.StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("digitization", "ingest", str(folder), "--record", str(record.pk), "--project", "manuscripts",
                     "--access", "registered", "--publish", "--ocr", stdout=io.StringIO(), stderr=io.StringIO())
    item = DigitalItem.objects.get(record=record)
    assert item.stage == DigitalItem.Stage.PUBLISHED and item.viewing_direction == "right-to-left"
    assert [p.source_name for p in item.pages.order_by("order")] == ["page-1.tif", "page-2.tif", "page-3.tif",
                                                                      "page-10.tif"]
    assert OcrPage.objects.filter(page__item=item).count() == 4

    # At home, not signed in: the record page asks the reader to sign in; the manifest is refused with 401.
    reader = Client(REMOTE_ADDR="198.51.100.7")
    page = reader.get(f"/records/{record.pk}/").content.decode()
    assert "/accounts/register/" in page and f"/iiif/manifest/{record.pk}" not in page
    assert reader.get(f"/iiif/manifest/{record.pk}").status_code == 401

    # The reader registers, is signed in, and the record page now carries the viewer.
    response = reader.post(f"/accounts/register/?next=/records/{record.pk}/", {
        "name": "Maryam Karimi", "email": "maryam@example.org", "password": "a-long-reader-password",
        "password2": "a-long-reader-password", "next": f"/records/{record.pk}/"})
    assert response.status_code == 302
    page = reader.get(f"/records/{record.pk}/").content.decode()
    assert f"/iiif/manifest/{record.pk}" in page

    manifest = reader.get(f"/iiif/manifest/{record.pk}").json()
    assert manifest["viewingDirection"] == "right-to-left" and len(manifest["items"]) == 4
    first_image = manifest["items"][0]["items"][0]["items"][0]["body"]["service"][0]["id"]
    tile = reader.get(first_image.replace("http://testserver", "") + "/0,0,512,512/256,/0/default.jpg")
    assert tile.status_code == 200 and tile["Content-Type"] == "image/jpeg"

    # Search inside the book in Persian, typed with the Arabic kaf (ك for ک): the hits are on the pages.
    hits = reader.get(f"/iiif/search/{record.pk}", {"q": "كاسا"}).json()
    targets = [hit["target"] for hit in hits["items"]]
    assert targets and all("#xywh=" in t for t in targets)
    assert {t.split("/canvas/")[1].split("#")[0] for t in targets} == {"1", "4"}

    # Download two pages as PDF.
    pdf = reader.get(f"/iiif/download/{record.pk}.pdf", {"from": "1", "to": "2"})
    assert pdf.status_code == 200
    assert len(PdfReader(io.BytesIO(b"".join(pdf.streaming_content))).pages) == 2

    # Restricted material: every kind of reading was logged with the reader and the address.
    logged = set(AccessLogEntry.objects.filter(item=item, user__email="maryam@example.org",
                                               ip="198.51.100.7").values_list("what", flat=True))
    assert {"manifest", "image", "search", "download"} <= logged

    # Where downloads are not allowed, none is given.
    DigitalItem.objects.filter(pk=item.pk).update(downloadable=False)
    assert reader.get(f"/iiif/download/{record.pk}.pdf").status_code == 403


def test_a_digitized_book_is_found_in_the_catalogue_by_the_words_inside_it(
        tmp_path, page_scan, django_capture_on_commit_callbacks):
    record = persian_record()
    folder = tmp_path / "scans"
    folder.mkdir()
    page_scan(folder / "1.tif", PERSIAN_TEXT, width=1600, height=2260, dpi=300)
    call_command("digitization", "project", "add", "books", "--name", "Books", "--institution", "NL",
                 stdout=io.StringIO())
    reader = Client()
    # "صبا" (musk) is on the page, not in the record.
    assert f"/records/{record.pk}/" not in reader.get("/search/", {"q": "صبا"}).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("digitization", "ingest", str(folder), "--record", str(record.pk), "--project", "books",
                     "--access", "open", "--publish", "--ocr", stdout=io.StringIO(), stderr=io.StringIO())
    assert f"/records/{record.pk}/" in reader.get("/search/", {"q": "صبا"}).content.decode()
    # Back to staff only: the words inside no longer find it.
    item = DigitalItem.objects.get(record=record)
    with django_capture_on_commit_callbacks(execute=True):
        from kitabkhana.digitization.services.lines import item_stage_move
        item_stage_move(item=item, stage=DigitalItem.Stage.QA, user=None, reason="page order wrong")
    assert f"/records/{record.pk}/" not in reader.get("/search/", {"q": "صبا"}).content.decode()


def test_reimporting_a_digitized_record_keeps_the_words_inside_it_in_the_index(
        tmp_path, page_scan, django_capture_on_commit_callbacks):
    from kitabkhana.catalogue.services.importing import marc_file_import
    from kitabkhana.iiif.tests.books import DEMO

    record = persian_record()
    folder = tmp_path / "scans"
    folder.mkdir()
    page_scan(folder / "1.tif", PERSIAN_TEXT, width=1600, height=2260, dpi=300)
    call_command("digitization", "project", "add", "books", "--name", "Books", "--institution", "NL",
                 stdout=io.StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        call_command("digitization", "ingest", str(folder), "--record", str(record.pk), "--project", "books",
                     "--access", "open", "--publish", "--ocr", stdout=io.StringIO(), stderr=io.StringIO())
    reader = Client()
    assert f"/records/{record.pk}/" in reader.get("/search/", {"q": "صبا"}).content.decode()
    # The same file again (an updated copy from the cataloguer's system): the batch path re-indexes the record.
    job = marc_file_import(path=DEMO / "lc-convspec-880-fixtures.xml", match="replace")
    assert job.status == "done"
    assert f"/records/{record.pk}/" in reader.get("/search/", {"q": "صبا"}).content.decode()

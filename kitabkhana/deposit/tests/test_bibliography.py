"""The monthly national bibliography: which titles a month lists, in what order, and its page, PDF, MARC and CLI.

Titles are made with the real services (CIP request → approval → deposit_receive, and
deposit_receive_without_cip), received on chosen days around the Farvardin/Ordibehesht 1405 boundary.
"""

from __future__ import annotations

import datetime as dt
import io

import jdatetime
import pymarc
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from kitabkhana.catalogue.models import Record
from kitabkhana.catalogue.selectors import record_marc
from kitabkhana.catalogue.services.records import record_create, record_delete
from kitabkhana.core.errors import NotFound
from kitabkhana.deposit import bibliography as nb
from kitabkhana.deposit import services
from kitabkhana.deposit.models import DepositReceipt
from kitabkhana.deposit.tests.conftest import ISBN_A, ISBN_B, approved_request

pytestmark = pytest.mark.django_db

FARVARDIN_LAST = dt.date(2026, 4, 20)  # 1405-01-31
ORDIBEHESHT_FIRST = dt.date(2026, 4, 21)  # 1405-02-01
# More valid ISBNs under the publisher's registered prefix 978-964-5620.
ISBN_C, ISBN_D, ISBN_E, ISBN_F = "978-964-5620-20-0", "978-964-5620-21-7", "978-964-5620-22-4", "978-964-5620-23-1"


def _receive(cip, cataloguer, national, barcode: str, on: dt.date):
    return services.deposit_receive(
        request=cip, pages=352, dimensions="23 cm", published_on=on, user=cataloguer, received_on=on,
        copies=[{"barcode": barcode, "institution": national.code, "condition": "good"}])


@pytest.fixture
def titles(publisher, publisher_user, cataloguer_nl, national, request_fields):
    """Six deposited titles, a deleted one and a forthcoming one (approved, never deposited)."""
    def cip(title: str, isbn: str, classification: str, subjects=("ادبیات فارسی -- تاریخ",)):
        return approved_request(publisher, publisher_user, cataloguer_nl,
                                {**request_fields, "title": title, "subtitle": "", "isbns": [isbn]},
                                subjects=subjects, classification=classification)

    history = cip("تاریخ ادبیات ایران", ISBN_A, "8fa9.09")  # DDC 800, two deliveries
    _receive(history, cataloguer_nl, national, "NL-A1", ORDIBEHESHT_FIRST)
    _receive(history, cataloguer_nl, national, "NL-A2", dt.date(2026, 6, 1))  # 1405-03-11, Khordad
    advice = cip("پندنامه", ISBN_C, "8fa1.3")  # DDC 800: پ sorts before ت in Persian, after it in Unicode
    _receive(advice, cataloguer_nl, national, "NL-C1", dt.date(2026, 5, 20))  # 1405-02-30
    prayers = cip("دعاها", ISBN_D, "297.77", subjects=("دعاها",))  # DDC 200
    _receive(prayers, cataloguer_nl, national, "NL-D1", dt.date(2026, 5, 10))  # 1405-02-20
    bustan = cip("بوستان", ISBN_B, "8fa1.31")  # received on the last day of Farvardin
    _receive(bustan, cataloguer_nl, national, "NL-B1", FARVARDIN_LAST)
    english = services.deposit_receive_without_cip(  # no CIP, no class number: unclassified, last
        publisher=publisher, title="A Grammar of Persian", isbns=[ISBN_E], pages=200, dimensions="24 cm",
        published_on=dt.date(2026, 4, 25), user=cataloguer_nl, languages=["eng"], received_on=dt.date(2026, 4, 25),
        contributors=[{"name": "Lambton, Ann K. S.", "role": "author"}],
        copies=[{"barcode": "NL-E1", "institution": national.code, "condition": "good"}])
    deleted = cip("کتاب حذف شده", ISBN_F, "8fa1")
    _receive(deleted, cataloguer_nl, national, "NL-F1", dt.date(2026, 4, 22))
    deleted_record = Record.objects.get(pk=deleted.record_id)
    record_delete(record=deleted_record, expected_version=deleted_record.version, user=cataloguer_nl)
    forthcoming = cip("کتاب آینده", "978-964-5620-24-8", "8fa1")
    return {"history": history, "advice": advice, "prayers": prayers, "bustan": bustan,
            "english": english[0].record, "deleted": deleted, "forthcoming": forthcoming}


def _ordibehesht():
    return nb.bibliography_get(month=nb.month_get(calendar=nb.SOLAR, year=1405, month=2))


def _record_ids(bibliography) -> list[int]:
    return [entry.record_id for section in bibliography.sections for entry in section.entries]


def test_solar_hijri_month_boundaries(titles):
    """A copy received 2026-04-20 (1405-01-31) is in Farvardin, one received 2026-04-21 (1405-02-01) in Ordibehesht."""
    assert jdatetime.date.fromgregorian(date=FARVARDIN_LAST) == jdatetime.date(1405, 1, 31)
    assert jdatetime.date.fromgregorian(date=ORDIBEHESHT_FIRST) == jdatetime.date(1405, 2, 1)
    ordibehesht = nb.month_get(calendar=nb.SOLAR, year=1405, month=2)
    assert (ordibehesht.first, ordibehesht.last) == (ORDIBEHESHT_FIRST, dt.date(2026, 5, 21))
    farvardin = nb.bibliography_get(month=nb.month_get(calendar=nb.SOLAR, year=1405, month=1))
    assert _record_ids(farvardin) == [titles["bustan"].record_id]
    assert titles["bustan"].record_id not in _record_ids(_ordibehesht())
    assert titles["history"].record_id in _record_ids(_ordibehesht())
    # The Gregorian month of May 2026 holds the titles first received 1-31 May only.
    may = nb.bibliography_get(month=nb.month_get(calendar=nb.GREGORIAN, year=2026, month=5))
    assert sorted(_record_ids(may)) == sorted([titles["advice"].record_id, titles["prayers"].record_id])


def test_a_title_delivered_twice_is_listed_in_the_month_of_its_first_copy_only(titles):
    khordad = nb.bibliography_get(month=nb.month_get(calendar=nb.SOLAR, year=1405, month=3))
    assert khordad.count == 0
    assert _record_ids(_ordibehesht()).count(titles["history"].record_id) == 1
    months = dict(nb.bibliography_months(calendar=nb.SOLAR))
    assert [(m.month, count) for m, count in months[1405]] == [(1, 1), (2, 4)]
    gregorian = dict(nb.bibliography_months(calendar=nb.GREGORIAN))
    assert [(m.month, count) for m, count in gregorian[2026]] == [(4, 3), (5, 2)]


def test_deleted_and_forthcoming_records_are_left_out(titles):
    ids = _record_ids(_ordibehesht())
    assert titles["deleted"].record_id not in ids and titles["forthcoming"].record_id not in ids
    assert DepositReceipt.objects.filter(record_id=titles["deleted"].record_id).exists()


def test_entries_by_class_then_by_title_in_persian_order(titles):
    bibliography = _ordibehesht()
    assert [s.key for s in bibliography.sections] == ["200", "800", ""]
    assert bibliography.sections[0].heading == "200 Religion"
    assert bibliography.sections[-1].heading == "Unclassified"
    assert _record_ids(bibliography) == [titles["prayers"].record_id, titles["advice"].record_id,
                                         titles["history"].record_id, titles["english"].pk]
    history = bibliography.sections[1].entries[1]
    assert history.nbn == titles["history"].nbn and history.nbn.startswith("NB-1405-")
    assert history.heading == "صفا، ذبیح‌الله" and history.rtl and history.language == "fa"
    assert history.areas[0] == "تاریخ ادبیات ایران."
    assert "Tehran : نشر نی، 1405." in history.areas  # the actual (Solar Hijri) year of the first copy
    assert "۳۵۲ ص. ; ۲۳ س‌م." in history.areas and "(تاریخ)" in history.areas
    assert history.isbns == ("978-964-5620-16-3",) and history.subjects == ("ادبیات فارسی -- تاریخ",)
    assert history.classification == "DDC 8fa9.09"
    english = bibliography.sections[-1].entries[0]
    assert not english.rtl and english.language == "en" and english.heading == "Lambton, Ann K. S."
    english_marc = record_marc(titles["english"])
    assert english.nbn == (english_marc["015"]["a"] if "015" in english_marc else "")


def test_vernacular_880_form_is_listed(publisher, cataloguer_nl, national, demo_record):
    """An imported LC record (romanised, with 880s) is listed in Persian script, as the CIP block prints it.

    No service registers a receipt for an already catalogued record, so this one receipt is written directly.
    """
    record = record_create(marc_record=demo_record, flavour="marc21", institution=national, user=cataloguer_nl)
    DepositReceipt.objects.create(publisher=publisher, record=record, institution=national, barcode="NL-DEMO",
                                  received_on=dt.date(2026, 5, 1), received_by=cataloguer_nl)
    [entry] = [e for s in _ordibehesht().sections for e in s.entries]
    assert entry.heading == "نورى، عبد الله"
    assert entry.areas[0].startswith("نقدى براى تمام فصول")
    assert entry.rtl and entry.language == "fa" and entry.classification == ""


def test_web_pages_show_persian_text_the_number_and_the_link(titles):
    client = Client()
    page = client.get("/national-bibliography/1405/02/")
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("تاریخ ادبیات ایران", "پندنامه", titles["history"].nbn, "A Grammar of Persian",
                 'lang="fa" dir="auto"', reverse("opac:record", args=[titles["history"].record_id]),
                 "Ordibehesht 1405", "2026-04-21 – 2026-05-21", "/national-bibliography/1405/02.pdf"):
        assert text in html, text
    assert html.index("دعاها") < html.index("پندنامه") < html.index("تاریخ ادبیات ایران") < html.index("A Grammar")
    persian = client.get("/national-bibliography/1405/02/", HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    assert "اردیبهشت ۱۴۰۵" in persian and 'dir="rtl"' in persian

    index = client.get(reverse("bibliography:index")).content.decode()
    assert "/national-bibliography/1405/02/" in index and "/national-bibliography/1405/01/" in index
    assert "4 titles" in index
    assert "/national-bibliography/g/2026/05/" in client.get("/national-bibliography/g/").content.decode()
    assert "May 2026" in client.get("/national-bibliography/g/2026/05/").content.decode()


def test_bad_months_and_formats_are_not_found(titles):
    client = Client()
    for url in ("/national-bibliography/1405/13/", "/national-bibliography/1405/00/", "/national-bibliography/1405/13.pdf",
                "/national-bibliography/0000/01/", "/national-bibliography/g/2026/13/", "/national-bibliography/1405/02.doc",
                "/national-bibliography/1405/2/"):
        assert client.get(url).status_code == 404, url
    with pytest.raises(NotFound):
        nb.month_get(calendar=nb.SOLAR, year=1405, month=13)


def test_marc_files_read_back_to_the_stored_records(titles):
    client = Client()
    stored = [pymarc.Record(data=bytes(Record.objects.get(pk=pk).marc), to_unicode=True, force_utf8=True)
              for pk in _record_ids(_ordibehesht())]
    response = client.get("/national-bibliography/1405/02.mrc")
    assert response.status_code == 200 and response["Content-Type"] == "application/marc"
    assert response["Content-Disposition"] == 'attachment; filename="national-bibliography-1405-02.mrc"'
    read = list(pymarc.MARCReader(io.BytesIO(response.content), to_unicode=True, force_utf8=True))
    assert [r.as_marc() for r in read] == [r.as_marc() for r in stored]
    assert read[2]["245"]["a"] == "تاریخ ادبیات ایران" and read[2]["015"]["a"] == titles["history"].nbn

    xml = client.get("/national-bibliography/1405/02.xml")
    assert xml["Content-Type"] == "application/marcxml+xml"
    from_xml = pymarc.parse_xml_to_array(io.BytesIO(xml.content))
    assert [[str(f) for f in r.fields] for r in from_xml] == [[str(f) for f in r.fields] for r in stored]


pypdf = pytest.importorskip("pypdf")


def test_pdf_is_a_pdf_with_the_number_and_the_titles(titles, cip_fonts):
    response = Client().get("/national-bibliography/1405/02.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="national-bibliography-1405-02.pdf"'
    assert response.content.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in (titles["history"].nbn, "A Grammar of Persian", "Ordibehesht 1405", "2026-04-21", "200 Religion",
                     "Unclassified"):
        assert expected in text, expected
    # Persian is painted right to left (last letter first); read back in either order, the title is there.
    assert "پندنامه" in text or "پندنامه"[::-1] in text
    fonts = {str(f) for page in reader.pages for f in page["/Resources"]["/Font"].values()
             for f in [f.get_object()["/BaseFont"]]}
    assert any("NotoNaskhArabic" in f for f in fonts) and any("NotoSans" in f for f in fonts)


def test_pdf_without_the_fonts_names_the_package(titles, monkeypatch):
    from kitabkhana.deposit import cip_block

    monkeypatch.setattr(cip_block, "_FONT_DIRS", ("/nonexistent",))
    response = Client().get("/national-bibliography/1405/02.pdf")
    assert response.status_code == 503 and "fonts-noto-core" in response.content.decode()
    assert Client().get("/national-bibliography/1405/02.mrc").status_code == 200


def test_command_writes_the_month(titles, tmp_path, cip_fonts):
    out = tmp_path / "nb.pdf"
    call_command("deposit", "bibliography", "1405", "2", "--format", "pdf", "--output", str(out), stderr=io.StringIO())
    assert out.read_bytes().startswith(b"%PDF-")
    mrc = tmp_path / "nb.mrc"
    call_command("deposit", "bibliography", "2026", "5", "--gregorian", "--format", "mrc", "--output", str(mrc),
                 stderr=io.StringIO())
    assert len(list(pymarc.MARCReader(mrc.read_bytes(), to_unicode=True, force_utf8=True))) == 2
    stdout = io.StringIO()
    call_command("deposit", "bibliography", "1405", "2", stdout=stdout)
    text = stdout.getvalue()
    assert text.startswith("National bibliography — Ordibehesht 1405 (2026-04-21 – 2026-05-21)\n4 titles\n")
    assert titles["history"].nbn in text and "تاریخ ادبیات ایران" in text
    persian = io.StringIO()
    call_command("deposit", "bibliography", "1405", "2", "--language", "fa", "--format", "xml", stdout=persian)
    assert persian.getvalue().startswith('<?xml version="1.0" encoding="UTF-8"?>\n<collection')
    with pytest.raises(CommandError, match="no solar month 1405/13"):
        call_command("deposit", "bibliography", "1405", "13")
    with pytest.raises(CommandError, match="--output"):
        call_command("deposit", "bibliography", "1405", "2", "--format", "pdf")

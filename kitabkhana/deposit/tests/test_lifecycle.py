"""The whole life of a book, through the web pages in Persian, as a publisher and the library's staff walk it:

sign-up → approval → CIP request → returned for correction → corrected and resubmitted → record → approval →
CIP block → the publication date passes → first claim → copies deposited → claims stop → a full record with
holdings in the catalogue, in the monthly national bibliography and in the compliance figures.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pymarc
import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from fpdf import FPDF

from kitabkhana.catalogue.models import Holding
from kitabkhana.catalogue.selectors import record_marc
from kitabkhana.deposit import services
from kitabkhana.deposit.bibliography import SOLAR, month_containing
from kitabkhana.deposit.models import CipEvent, CipRequest, Claim, Publisher
from kitabkhana.scripts.calendars import to_persian_digits

pytestmark = pytest.mark.django_db


def _persian(client: Client) -> Client:
    client.post("/i18n/setlang/", {"language": "fa", "next": "/"})
    return client


def _front_matter() -> SimpleUploadedFile:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Title page")
    return SimpleUploadedFile("front.pdf", bytes(pdf.output()), content_type="application/pdf")


def test_the_life_of_a_book_in_persian(settings, supervisor, cataloguer_nl, national,
                                       django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.KITABKHANA = {**settings.KITABKHANA, "DEPOSIT_GRACE_DAYS": 60}
    publisher_client, staff, boss, reader = (_persian(Client()) for _ in range(4))

    # A publisher signs up; a supervisor approves it.
    response = publisher_client.post("/publishers/signup/", {
        "name": "Nashr-e Cheshmeh", "name_fa": "نشر چشمه", "email": "cip@cheshmeh.example", "city": "Tehran",
        "city_fa": "تهران",
        "country": "IR", "isbn_prefixes": "978-964-5620", "username": "cheshmeh", "password": "a-long-password-1"})
    assert response.status_code == 302
    publisher = Publisher.objects.get(name="Nashr-e Cheshmeh")
    boss.force_login(supervisor)
    boss.post(f"/staff/cip/publishers/{publisher.pk}/decide/", {"decision": "approve"})
    assert Publisher.objects.get(pk=publisher.pk).status == Publisher.Status.APPROVED

    # The request, with the expected date in Solar Hijri and Persian digits.
    response = publisher_client.post("/publishers/requests/new/", {
        "title": "سفر به سرزمین کتاب", "subtitle": "", "contributors": "مرادی، مریم | author",
        "expected_date": "۱۴۰۵/۰۲/۲۰", "medium": "print", "pages": "210", "format": "21 cm", "languages": "per",
        "isbns": "978-964-5620-16-3", "summary": "داستانی برای نوجوانان.", "front_matter": _front_matter()})
    assert response.status_code == 302
    cip = CipRequest.objects.get()
    assert cip.expected_date == dt.date(2026, 5, 10)
    publisher_client.post(f"/publishers/requests/{cip.pk}/submit/")

    # The cataloguer takes it and returns it: the subtitle is missing.
    staff.force_login(cataloguer_nl)
    assert "سفر به سرزمین کتاب" in staff.get("/staff/cip/").content.decode()
    staff.post(f"/staff/cip/{cip.pk}/assign/")
    staff.post(f"/staff/cip/{cip.pk}/return/", {"message": "عنوان فرعی روی صفحهٔ عنوان آمده است؛ آن را بیفزایید."})
    page = publisher_client.get(f"/publishers/requests/{cip.pk}/").content.decode()
    assert "عنوان فرعی روی صفحهٔ عنوان آمده است" in page and 'dir="rtl"' in page

    # The publisher corrects and resubmits; it goes back to the same cataloguer.
    form = {"title": "سفر به سرزمین کتاب", "subtitle": "داستان", "contributors": "مرادی، مریم | author",
            "expected_date": "1405-02-20", "medium": "print", "pages": "210", "format": "21 cm", "languages": "per",
            "isbns": "978-964-5620-16-3", "summary": "داستانی برای نوجوانان."}
    assert publisher_client.post(f"/publishers/requests/{cip.pk}/edit/", form).status_code == 302
    publisher_client.post(f"/publishers/requests/{cip.pk}/submit/")
    cip.refresh_from_db()
    assert cip.status == CipRequest.Status.IN_REVIEW and cip.assigned_to == cataloguer_nl

    # The record, then approval: a national bibliography number and the CIP block.
    staff.post(f"/staff/cip/{cip.pk}/record/", {"subjects": "داستان‌های فارسی -- قرن ۱۴",
                                                 "classification": "8fa3.62", "classification_scheme": "ddc"})
    staff.post(f"/staff/cip/{cip.pk}/approve/")
    cip.refresh_from_db()
    assert cip.status == CipRequest.Status.APPROVED and cip.nbn.startswith("NB-1405-")
    block = publisher_client.get(f"/publishers/requests/{cip.pk}/cip.txt").content.decode()
    # The Persian block writes the number in Persian digits: NB-۱۴۰۵-۰۰۰۰۱.
    assert to_persian_digits(cip.nbn) in block and "سفر به سرزمین کتاب : داستان" in block and "شابک" in block
    # The place of publication in Persian, as the publisher registered it.
    assert "مشخصات نشر: تهران : نشر چشمه، ۱۴۰۵" in block
    assert record_marc(cip.record).leader[17] == "8"
    assert "پیش از انتشار" in reader.get(f"/records/{cip.record_id}/").content.decode()

    # The expected date passes with the grace period: the first claim goes out, in Persian.
    assert services.claims_send(today=dt.date(2026, 7, 9)) == []
    [claim] = services.claims_send(today=dt.date(2026, 7, 10))
    assert claim.level == Claim.Level.FIRST and mail.outbox[0].to == ["cip@cheshmeh.example"]
    assert "۱۴۰۵/۰۲/۲۰" in mail.outbox[0].body

    # The copies arrive and are registered on the request page.
    with django_capture_on_commit_callbacks(execute=True):  # the search index is written after commit
        response = staff.post(f"/staff/cip/{cip.pk}/deposit/", {
            "copies": "NL-77001 | NL\nNL-77002 | NL | damaged", "pages": "214", "dimensions": "21 cm",
            "published_on": "۱۴۰۵/۰۳/۰۱"})
    assert response.status_code == 302
    cip.refresh_from_db()
    assert cip.status == CipRequest.Status.DEPOSITED and cip.published_on == dt.date(2026, 5, 22)
    assert services.claims_send(today=dt.date(2026, 12, 31)) == [] and len(mail.outbox) == 1

    # A full record with holdings, found in the public catalogue.
    marc = record_marc(cip.record)
    assert marc.leader[17] == " " and marc["300"]["a"] == "۲۱۴ ص. ;" and marc["015"]["a"] == cip.nbn
    assert sorted(Holding.objects.filter(record=cip.record).values_list("barcode", flat=True)) == \
        ["NL-77001", "NL-77002"]
    hits = reader.get("/search/", {"q": "سرزمین کتاب"}).content.decode()
    assert f"/records/{cip.record_id}/" in hits

    # In the monthly national bibliography of the month the copies came (received today).
    month = month_containing(SOLAR, timezone.localdate())
    page = reader.get(f"/national-bibliography/{month.year:04d}/{month.month:02d}/").content.decode()
    assert "سفر به سرزمین کتاب" in page and cip.nbn in page
    mrc = reader.get(f"/national-bibliography/{month.year:04d}/{month.month:02d}.mrc")
    [listed] = list(pymarc.MARCReader(b"".join(mrc.streaming_content) if mrc.streaming else mrc.content,
                                      to_unicode=True, force_utf8=True))
    assert listed["015"]["a"] == cip.nbn

    # And in the compliance figures of 1405: due, deposited late (the copies came after the grace period).
    response = staff.get("/staff/deposit/compliance.csv", {"period": "year", "calendar": "solar", "year": "1405"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    [row] = [r for r in rows[1:] if r[0] == str(publisher.pk)]
    # Requested, published (due), deposited on time, late, missing.
    assert row[2:7] == ["1", "1", "0", "1", "0"]
    actions = list(cip.events.values_list("action", flat=True))
    assert actions == ["create", "submit", "assign", "return", "edit", "submit", "record", "approve", "claim",
                       "deposit"]
    assert all(e.user_id for e in CipEvent.objects.filter(request=cip).exclude(action="claim"))

"""The publisher portal and the staff CIP queue through the Django test client, in English and Persian."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kitabkhana.deposit import services
from kitabkhana.deposit.models import CipEvent, CipRequest, Publisher
from kitabkhana.deposit.tests.conftest import ISBN_A
from kitabkhana.scripts.calendars import to_persian_digits

pytestmark = pytest.mark.django_db


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(**overrides) -> dict:
    data = {
        "title": "تاریخ ادبیات ایران", "subtitle": "", "contributors": "صفا، ذبیح‌الله | author\nرحیمی، مهدی | editor",
        "edition": "", "series": "", "expected_date": "۱۴۰۵/۰۲/۲۰", "pages": "320", "format": "24 cm",
        "languages": "per", "isbns": ISBN_A, "summary": "", "contents": "",
    }
    return {**data, **overrides}


def test_signup_waits_for_supervisor_approval(client, supervisor, cataloguer_nl):
    response = client.post(reverse("publishers:signup"), {
        "name": "Nashr-e Markaz", "name_fa": "نشر مرکز", "email": "a@example.org", "country": "IR",
        "isbn_prefixes": "978-964-305", "username": "markaz", "password": "a-long-password-1",
    })
    assert response.status_code == 302
    publisher = Publisher.objects.get(name="Nashr-e Markaz")
    assert publisher.status == Publisher.Status.PENDING and publisher.names == {"fa": "نشر مرکز"}
    assert "Pending approval" in client.get(reverse("publishers:home")).content.decode()
    assert _as(cataloguer_nl).get(reverse("cip:publishers")).status_code == 403
    page = _as(supervisor).get(reverse("cip:publishers")).content.decode()
    assert "Nashr-e Markaz" in page and "978-964-305" in page
    _as(supervisor).post(reverse("cip:publisher-decide", args=[publisher.pk]), {"decision": "approve"})
    publisher.refresh_from_db()
    assert publisher.status == Publisher.Status.APPROVED and publisher.approved_by == supervisor
    assert CipEvent.objects.filter(publisher=publisher, action="publisher_approve", user=supervisor).exists()


def test_request_form_reports_each_bad_isbn(publisher_user):
    response = _as(publisher_user).post(reverse("publishers:request-new"),
                                        _form(isbns="978-964-5620-16-4\n978-0-306-40615-7"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "ISBN 978-964-5620-16-4" in page and "ISBN 978-0-306-40615-7 does not start with" in page
    assert not CipRequest.objects.exists()


def test_request_form_refuses_a_fake_pdf(publisher_user):
    fake = SimpleUploadedFile("front.pdf", b"PK\x03\x04 a zip", content_type="application/pdf")
    response = _as(publisher_user).post(reverse("publishers:request-new"), {**_form(), "front_matter": fake})
    assert response.status_code == 400 and "not a PDF" in response.content.decode()
    assert not CipRequest.objects.exists()


def test_whole_path_in_the_browser(publisher_user, cataloguer_nl, other_publisher, cataloguer_isf, cip_fonts):
    publisher_client, staff = _as(publisher_user), _as(cataloguer_nl)
    pdf = SimpleUploadedFile("front.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n", content_type="application/pdf")
    response = publisher_client.post(reverse("publishers:request-new"), {**_form(), "front_matter": pdf})
    assert response.status_code == 302, response.content.decode()[-2000:]
    cip = CipRequest.objects.get()
    assert str(cip.expected_date) == "2026-05-10"  # 20 Ordibehesht 1405
    page = publisher_client.get(reverse("publishers:request", args=[cip.pk])).content.decode()
    assert "2026-05-10 (1405-02-20 SH)" in page and "978-964-5620-16-3" in page
    publisher_client.post(reverse("publishers:request-submit", args=[cip.pk]))

    queue = staff.get(reverse("cip:queue")).content.decode()
    assert cip.title in queue
    assert cip.title not in _as(cataloguer_isf).get(reverse("cip:queue")).content.decode()
    assert _as(cataloguer_isf).get(reverse("cip:request", args=[cip.pk])).status_code == 404
    assert _as(cataloguer_isf).post(reverse("cip:assign", args=[cip.pk])).status_code == 404
    assert _as(cataloguer_isf).get(reverse("cip:front-matter", args=[cip.pk])).status_code == 404
    front = staff.get(reverse("cip:front-matter", args=[cip.pk]))
    assert b"".join(front.streaming_content).startswith(b"%PDF-")

    staff.post(reverse("cip:assign", args=[cip.pk]))
    staff.post(reverse("cip:return", args=[cip.pk]), {"message": "Add the translator."})
    page = publisher_client.get(reverse("publishers:request", args=[cip.pk])).content.decode()
    assert "Add the translator." in page
    response = publisher_client.post(reverse("publishers:request-edit", args=[cip.pk]),
                                     _form(contributors="صفا، ذبیح‌الله | author\nAmini, Sara | translator"))
    assert response.status_code == 302
    publisher_client.post(reverse("publishers:request-submit", args=[cip.pk]))
    staff.post(reverse("cip:record", args=[cip.pk]), {"subjects": "ادبیات فارسی -- تاریخ", "classification": "8fa9.09",
                                                      "classification_scheme": "ddc"})
    staff.post(reverse("cip:approve", args=[cip.pk]))
    cip.refresh_from_db()
    assert cip.status == CipRequest.Status.APPROVED and cip.record_id

    staff_page = staff.get(reverse("cip:request", args=[cip.pk])).content.decode()
    for action in ("Submitted", "Assigned", "Returned for correction", "Record saved", "Approved"):
        assert action in staff_page
    assert cip.nbn in staff_page

    other = _as(other_publisher.members.get().user)
    for name in ("publishers:request", "publishers:request-edit", "publishers:front-matter"):
        assert other.get(reverse(name, args=[cip.pk])).status_code == 404
    assert other.get(reverse("publishers:block", args=[cip.pk, "txt"])).status_code == 404
    assert cip.title not in other.get(reverse("publishers:home")).content.decode()

    text = publisher_client.get(reverse("publishers:block", args=[cip.pk, "txt"]))
    assert text.status_code == 200 and text["Content-Type"].startswith("text/plain")
    # A Persian book's block is written in Persian digits.
    block = text.content.decode("utf-8")
    assert to_persian_digits(cip.nbn) in block and "نشر نی" in block and "Amini, Sara" in block
    opac = Client().get(reverse("opac:record", args=[cip.record_id]))
    assert opac.status_code == 200 and "تاریخ ادبیات ایران" in opac.content.decode()
    assert "Forthcoming (pre-publication record)" in opac.content.decode()
    pdf_block = staff.get(reverse("cip:block", args=[cip.pk, "pdf"]))
    assert pdf_block.status_code == 200 and pdf_block.content.startswith(b"%PDF-")


def test_portal_pages_in_persian(publisher_user, publisher, request_fields):
    cip = services.cip_request_create(publisher=publisher, user=publisher_user, **request_fields)
    client = _as(publisher_user)
    client.cookies["django_language"] = "fa"
    page = client.get(reverse("publishers:request", args=[cip.pk]), HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    assert 'dir="rtl"' in page and "1405-02-20" in page


def test_block_of_an_unapproved_request_is_not_found(publisher_user, publisher, request_fields):
    cip = services.cip_request_create(publisher=publisher, user=publisher_user, **request_fields)
    assert _as(publisher_user).get(reverse("publishers:block", args=[cip.pk, "txt"])).status_code == 404


def test_staff_pages_need_a_cataloguer(publisher_user, client):
    assert _as(publisher_user).get(reverse("cip:queue")).status_code == 403
    assert client.get(reverse("cip:queue")).status_code == 302
    assert client.get(reverse("publishers:home")).status_code == 302


def test_request_in_review_cannot_be_edited_by_the_publisher(publisher_user, publisher, request_fields,
                                                              cataloguer_nl):
    cip = services.cip_request_create(publisher=publisher, user=publisher_user, **request_fields)
    services.cip_request_submit(request=cip, user=publisher_user)
    services.cip_request_assign(request=cip, user=cataloguer_nl)
    response = _as(publisher_user).post(reverse("publishers:request-edit", args=[cip.pk]), _form(title="Changed"))
    assert response.status_code == 400 and "only drafts and returned requests can be edited" in response.content.decode()
    cip.refresh_from_db()
    assert cip.title == request_fields["title"]


def test_expected_date_must_be_a_real_date(publisher_user):
    response = _as(publisher_user).post(reverse("publishers:request-new"), _form(expected_date="1405-13-40"))
    assert response.status_code == 400 and "1405-13-40 is not a valid date" in response.content.decode()


def test_a_date_copied_from_persian_text_with_direction_marks_is_read(publisher_user):
    """An RLM or LRM (invisible) around a pasted Solar Hijri date does not make it unreadable."""
    response = _as(publisher_user).post(reverse("publishers:request-new"),
                                        _form(expected_date="\u200f۱۴۰۵/۰۲/۲۰\u200e"))
    assert response.status_code == 302
    assert CipRequest.objects.get().expected_date.isoformat() == "2026-05-10"


def test_signing_in_lands_a_publisher_at_the_portal_and_staff_at_the_staff_pages(publisher_user, cataloguer_nl):
    assert _as(publisher_user).get(reverse("accounts:home"))["Location"] == reverse("publishers:home")
    assert _as(cataloguer_nl).get(reverse("accounts:home"))["Location"] == reverse("catalogue:staff-home")


def test_pdf_block_without_the_fonts_names_the_package_and_the_text_block_still_works(
        publisher_user, cataloguer_nl, publisher, request_fields, monkeypatch):
    from kitabkhana.deposit import cip_block, services

    cip = services.cip_request_create(publisher=publisher, user=publisher_user, **request_fields)
    services.cip_request_submit(request=cip, user=publisher_user)
    services.cip_request_assign(request=cip, user=cataloguer_nl)
    services.cip_record_save(request=cip, user=cataloguer_nl, subjects=["Persian literature"], classification="891.55")
    services.cip_request_approve(request=cip, user=cataloguer_nl)
    monkeypatch.setattr(cip_block, "_FONT_DIRS", ("/nonexistent",))
    staff = _as(cataloguer_nl)
    pdf = staff.get(reverse("cip:block", args=[cip.pk, "pdf"]))
    assert pdf.status_code == 503 and "fonts-noto-core" in pdf.content.decode()
    assert staff.get(reverse("cip:block", args=[cip.pk, "txt"])).status_code == 200

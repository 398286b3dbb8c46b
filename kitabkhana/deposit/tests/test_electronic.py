"""Electronic deposit: PDF and EPUB files judged by content, checksummed, kept untouched, read under access rules."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from kitabkhana.catalogue.selectors import record_marc
from kitabkhana.core.errors import NotFound, ValidationFailed
from kitabkhana.deposit import services
from kitabkhana.deposit.compliance import Period, compliance_report
from kitabkhana.deposit.files import FileRefused, file_identify
from kitabkhana.deposit.models import CipEvent, CipRequest, ElectronicDeposit, ElectronicDepositRead
from kitabkhana.deposit.tests.conftest import approved_request

MAX = 5 * 1024 * 1024


def _pdf(pages: int = 3) -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for n in range(pages):
        pdf.add_page()
        pdf.cell(text=f"Page {n + 1} of a deposited e-book")
    return bytes(pdf.output())


def _epub(*, compress_mimetype: bool = False, container: bool = True, extra: bytes = b"") -> bytes:
    """An EPUB 3 container as the OCF specification lays it out (mimetype first, stored)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), b"application/epub+zip",
                   compress_type=zipfile.ZIP_DEFLATED if compress_mimetype else zipfile.ZIP_STORED)
        if container:
            z.writestr("META-INF/container.xml", (
                '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
                '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
                "</rootfiles></container>"), compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("OEBPS/content.opf", (
            '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">'
            '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">urn:isbn:9789645620163'
            "</dc:identifier><dc:title>تاریخ ادبیات ایران</dc:title><dc:language>fa</dc:language></metadata>"
            '<manifest><item id="c1" href="c1.xhtml" media-type="application/xhtml+xml"/></manifest>'
            '<spine page-progression-direction="rtl"><itemref idref="c1"/></spine></package>'),
            compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("OEBPS/c1.xhtml", '<html xmlns="http://www.w3.org/1999/xhtml" lang="fa" dir="rtl"><body>'
                   "<p>بخش ۱</p></body></html>", compress_type=zipfile.ZIP_DEFLATED)
        if extra:
            z.writestr("OEBPS/extra.bin", extra, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _identify(data: bytes, name: str, max_bytes: int = MAX):
    return file_identify(io.BytesIO(data), name=name, size=len(data), max_bytes=max_bytes)


# --- the content checks (pure) -----------------------------------------------------------------------------


def test_a_real_pdf_and_epub_are_recognised_with_their_pages():
    pdf = _identify(_pdf(3), "book.pdf")
    assert (pdf.media_type, pdf.extension, pdf.pages) == ("application/pdf", "pdf", 3)
    epub = _identify(_epub(), "book.EPUB")
    assert (epub.media_type, epub.extension) == ("application/epub+zip", "epub")


@pytest.mark.parametrize(("data", "name", "says"), [
    (b"Hello, this is plain text pretending", "book.pdf", "not a PDF or EPUB"),
    (_pdf(2)[:-400], "book.pdf", "truncated"),
    (b"%PDF-1.4\n garbage garbage\n%%EOF\n", "book.pdf", "cannot be read"),
    (_epub(compress_mimetype=True), "book.epub", "stored uncompressed"),
    (_epub(container=False), "book.epub", "META-INF/container.xml"),
    (_epub(), "book.pdf", "content is EPUB"),
    (_pdf(1), "book.epub", "content is PDF"),
    (b"", "empty.pdf", "empty"),
])
def test_bad_files_are_refused_naming_the_file_and_the_problem(data, name, says):
    with pytest.raises(FileRefused) as exc:
        _identify(data, name)
    assert name in str(exc.value) and says in str(exc.value)


def test_an_encrypted_pdf_is_refused():
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(_pdf(1))))
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(FileRefused, match="encrypted"):
        _identify(out.getvalue(), "locked.pdf")


def test_a_zip_bomb_is_refused_before_it_is_inflated():
    bomb = _epub(extra=b"\0" * 3_000_000)  # compresses to a few kB
    assert len(bomb) < 20_000
    with pytest.raises(FileRefused, match="inflate"):
        _identify(bomb, "bomb.epub", max_bytes=500_000)


def test_a_file_over_the_limit_is_refused():
    data = _pdf(10)
    with pytest.raises(FileRefused, match=f"big.pdf: {len(data)} bytes is more than the 500 bytes"):
        _identify(data, "big.pdf", max_bytes=500)


# --- the service and pages -----------------------------------------------------------------------------------


@pytest.fixture
def ebook(publisher, publisher_user, cataloguer_nl, request_fields):
    return approved_request(publisher, publisher_user, cataloguer_nl,
                             {**request_fields, "medium": CipRequest.Medium.ELECTRONIC})


@pytest.fixture
def printed(publisher, publisher_user, cataloguer_nl, request_fields):
    return approved_request(publisher, publisher_user, cataloguer_nl,
                             {**request_fields, "isbns": ["978-964-5620-69-9"]})


@pytest.mark.django_db
def test_depositing_an_ebook_file_completes_the_deposit(ebook, publisher_user, file_storage, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    data = _pdf(4)
    deposit = services.electronic_deposit_upload(request=ebook, upload=SimpleUploadedFile("../../etc/passwd.pdf", data),
                                                 user=publisher_user, published_on=dt.date(2026, 6, 1))
    assert deposit.sha256 == hashlib.sha256(data).hexdigest() and deposit.size == len(data) and deposit.pages == 4
    assert deposit.access == ElectronicDeposit.Access.STAFF
    # Kept untouched under our own name, inside the data directory, whatever the uploader called it.
    stored = file_storage / deposit.file.name
    assert stored.read_bytes() == data and stored.resolve().is_relative_to(file_storage.resolve())
    assert deposit.file.name.endswith(f"cip-{ebook.pk}-{deposit.sha256[:16]}.pdf")
    cip = CipRequest.objects.get(pk=ebook.pk)
    assert cip.status == CipRequest.Status.DEPOSITED and cip.published_on == dt.date(2026, 6, 1)
    marc = record_marc(cip.record)
    assert marc.leader[17] == " "
    assert marc["300"]["a"] == "۱ منبع برخط (۴ ص.)"
    assert marc["338"]["b"] == "cr" and marc["347"]["b"] == "PDF" and marc["008"].data[23] == "o"
    assert {"file", "deposit"} <= set(cip.events.values_list("action", flat=True))
    # The deposit stops the claims.
    assert services.claims_send(today=dt.date(2027, 1, 1)) == [] and mail.outbox == []
    # The same file twice is refused, naming the earlier deposit.
    with pytest.raises(ValidationFailed, match="already deposited"):
        services.electronic_deposit_upload(request=ebook, upload=SimpleUploadedFile("again.pdf", data),
                                           user=publisher_user)


@pytest.mark.django_db
def test_an_ebook_file_sent_after_its_date_is_a_late_deposit(publisher, publisher_user, cataloguer_nl, request_fields,
                                                           settings):
    """Without a publication date given, an overdue e-book is published on its expected date, not on upload day."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.KITABKHANA = {**settings.KITABKHANA, "DEPOSIT_GRACE_DAYS": 60}
    expected = timezone.localdate() - dt.timedelta(days=200)
    cip = approved_request(publisher, publisher_user, cataloguer_nl, {
        **request_fields, "medium": CipRequest.Medium.ELECTRONIC, "expected_date": expected})
    assert [c.level for c in services.claims_send()] == ["first"]
    services.electronic_deposit_upload(request=cip, upload=SimpleUploadedFile("book.pdf", _pdf(2)),
                                       user=publisher_user)
    cip.refresh_from_db()
    assert cip.status == CipRequest.Status.DEPOSITED and cip.published_on == expected
    report = compliance_report(period=Period.custom(expected, expected))
    assert (report.total.due, report.total.on_time, report.total.late) == (1, 0, 1)

    # An e-book sent before its expected date came out the day its file came.
    early = approved_request(publisher, publisher_user, cataloguer_nl, {
        **request_fields, "medium": CipRequest.Medium.ELECTRONIC, "isbns": ["978-964-5620-69-9"],
        "expected_date": timezone.localdate() + dt.timedelta(days=30)})
    services.electronic_deposit_upload(request=early, upload=SimpleUploadedFile("early.pdf", _pdf(3)),
                                       user=publisher_user)
    early.refresh_from_db()
    assert early.published_on == timezone.localdate()


@pytest.mark.django_db
def test_an_ebook_cannot_be_deposited_as_copies(ebook, cataloguer_nl, national):
    with pytest.raises(ValidationFailed, match="e-book"):
        services.deposit_receive(request=ebook, copies=[{"barcode": "X1", "institution": national.code}], pages=10,
                                 dimensions="24 cm", published_on=dt.date(2026, 6, 1), user=cataloguer_nl)


@pytest.mark.django_db
def test_a_file_beside_a_printed_book_does_not_count_as_its_deposit(printed, publisher_user):
    services.electronic_deposit_upload(request=printed, upload=SimpleUploadedFile("book.epub", _epub()),
                                       user=publisher_user)
    cip = CipRequest.objects.get(pk=printed.pk)
    assert cip.status == CipRequest.Status.APPROVED and record_marc(cip.record).leader[17] == "8"


@pytest.mark.django_db
def test_bad_uploads_leave_nothing_behind(ebook, publisher_user, other_publisher, file_storage, settings):
    settings.KITABKHANA = {**settings.KITABKHANA, "DEPOSIT_FILE_MAX_BYTES": 2000}
    with pytest.raises(ValidationFailed, match="big.pdf: .* more than the 2000 bytes"):
        services.electronic_deposit_upload(request=ebook, upload=SimpleUploadedFile("big.pdf", _pdf(30)),
                                           user=publisher_user)
    with pytest.raises(ValidationFailed, match="not a PDF or EPUB"):
        services.electronic_deposit_upload(request=ebook, upload=SimpleUploadedFile("x.pdf", b"MZ\x90\x00" * 10),
                                           user=publisher_user)
    with pytest.raises(ValidationFailed, match="unknown title"):
        services.electronic_deposit_upload(request=987654, upload=SimpleUploadedFile("x.pdf", _pdf(1)),
                                           user=publisher_user)
    # Another publisher's user is neither the publisher nor staff of the queue.
    with pytest.raises(NotFound, match="of yours"):
        services.electronic_deposit_upload(request=ebook, upload=SimpleUploadedFile("x.pdf", _pdf(1)),
                                           user=other_publisher.members.get().user)
    assert not ElectronicDeposit.objects.exists()
    assert CipRequest.objects.get(pk=ebook.pk).status == CipRequest.Status.APPROVED
    assert not (file_storage / "deposit" / "electronic").exists() or not any(
        (file_storage / "deposit" / "electronic").rglob("*.pdf"))


@pytest.mark.django_db
def test_a_failing_database_write_removes_the_stored_file(ebook, publisher_user, file_storage, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "_electronic_title_deposited", broken)
    with pytest.raises(RuntimeError):
        services.electronic_deposit_upload(request=ebook, upload=SimpleUploadedFile("b.pdf", _pdf(1)),
                                           user=publisher_user)
    assert not ElectronicDeposit.objects.exists()
    assert not list(file_storage.rglob("*.pdf"))


@pytest.mark.django_db
def test_who_may_read_a_deposited_file(client, ebook, publisher_user, other_publisher, cataloguer_nl, cataloguer_isf,
                                       settings):
    settings.KITABKHANA = {**settings.KITABKHANA, "READING_ROOM_NETWORKS": ["10.20.0.0/16"]}
    data = _pdf(2)
    deposit = services.electronic_deposit_upload(request=ebook, upload=SimpleUploadedFile("book.pdf", data),
                                                 user=publisher_user)
    url = f"/deposit-files/{deposit.pk}/"

    def status(user=None, ip="192.0.2.1"):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client.get(url, REMOTE_ADDR=ip).status_code

    # Staff only (the default): the publisher and any staff member; not readers, not another publisher.
    assert status(publisher_user) == 200 and status(cataloguer_isf) == 200
    assert status() == 404 and status(other_publisher.members.get().user) == 404
    assert status(ip="10.20.3.4") == 404
    # Only a cataloguer of the title's institution may change the rule, and the change is audited.
    with pytest.raises(ValidationFailed):
        services.electronic_deposit_access_set(deposit=deposit, user=cataloguer_isf, access="open")
    client.force_login(cataloguer_nl)
    client.post(f"/staff/cip/files/{deposit.pk}/access/", {"access": "reading_room"})
    assert ElectronicDeposit.objects.get(pk=deposit.pk).access == "reading_room"
    assert CipEvent.objects.filter(action=CipEvent.Action.FILE_ACCESS, message__contains="staff → reading_room").exists()
    assert status(ip="10.20.3.4") == 200 and status(ip="192.0.2.1") == 404
    services.electronic_deposit_access_set(deposit=deposit, user=cataloguer_nl, access="open")
    client.logout()
    response = client.get(url, REMOTE_ADDR="192.0.2.1")
    assert response.status_code == 200 and b"".join(response.streaming_content) == data
    assert response["Content-Type"] == "application/pdf" and "no-store" in response["Cache-Control"]
    # Readings by anyone but the publisher are logged, with where they came from.
    ips = list(ElectronicDepositRead.objects.values_list("ip", flat=True))
    assert "10.20.3.4" in ips and "192.0.2.1" in ips
    assert not ElectronicDepositRead.objects.filter(user=publisher_user).exists()
    # The OPAC record page offers the file once readers may open it.
    page = client.get(f"/records/{ebook.record_id}/").content.decode()
    assert url in page


@pytest.mark.django_db
def test_the_publisher_uploads_from_the_request_page(client, ebook, publisher_user):
    client.force_login(publisher_user)
    page = client.get(f"/publishers/requests/{ebook.pk}/").content.decode()
    assert 'enctype="multipart/form-data"' in page
    response = client.post(f"/publishers/requests/{ebook.pk}/files/",
                           {"file": SimpleUploadedFile("not-a-book.pdf", b"just text"), "published_on": "1405-03-11"},
                           follow=True)
    assert "not a PDF or EPUB" in response.content.decode()
    response = client.post(f"/publishers/requests/{ebook.pk}/files/",
                           {"file": SimpleUploadedFile("ketab.epub", _epub()), "published_on": "1405-03-11"},
                           follow=True)
    page = response.content.decode()
    assert "ketab.epub" in page and "application/epub+zip" in page
    cip = CipRequest.objects.get(pk=ebook.pk)
    assert cip.status == CipRequest.Status.DEPOSITED and cip.published_on == dt.date(2026, 6, 1)


@pytest.mark.django_db
def test_a_deposited_ebook_enters_the_national_bibliography_of_the_month_its_file_came(ebook, printed,
                                                                                       publisher_user):
    from django.utils import timezone

    from kitabkhana.deposit.bibliography import SOLAR, bibliography_get, month_containing

    month = month_containing(SOLAR, timezone.localdate())
    assert bibliography_get(month=month).records == ()
    services.electronic_deposit_upload(request=ebook, upload=SimpleUploadedFile("book.pdf", _pdf(2)),
                                       user=publisher_user)
    # The file beside the printed book does not make it deposited.
    services.electronic_deposit_upload(request=printed, upload=SimpleUploadedFile("print.pdf", _pdf(3)),
                                       user=publisher_user)
    assert [r.pk for r in bibliography_get(month=month).records] == [ebook.record_id]
    assert bibliography_get(month=month.previous()).records == ()

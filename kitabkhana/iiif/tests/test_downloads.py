"""PDF downloads of digitized items: the pages asked for, at print resolution, streamed, capped, and only where
the item is downloadable and the access rule lets the reader in (restricted readings logged)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from pypdf import PdfReader

from kitabkhana.accounts.services import institution_default, staff_user_create
from kitabkhana.digitization.models import Access, AccessLogEntry
from kitabkhana.iiif.download import PRINT_DPI, page_range_parse
from kitabkhana.iiif.download_pdf import PdfImage, pdf_stream
from kitabkhana.iiif.tests.books import ENGLISH_TEXT, digitize, english_record, persian_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(page_scan, tmp_path):
    return digitize(persian_record(), page_scan, tmp_path / "scans", pages=5)


def _pdf(response) -> PdfReader:
    assert response.status_code == 200, getattr(response, "content", b"")
    assert response.streaming and response["Content-Type"] == "application/pdf"
    return PdfReader(io.BytesIO(b"".join(response.streaming_content)))


def test_a_range_of_pages_comes_as_a_pdf_with_those_pages(client, book):
    response = client.get(f"/iiif/download/{book.record_id}.pdf", {"from": 2, "to": 4})
    assert f'filename="record-{book.record_id}-pages-2-4.pdf"' in response["Content-Disposition"]
    pdf = _pdf(response)
    assert len(pdf.pages) == 3
    assert "سخنور" in pdf.metadata.title
    whole = _pdf(client.get(f"/iiif/download/{book.record_id}.pdf"))
    assert len(whole.pages) == 5
    single = _pdf(client.get(f"/iiif/download/{book.record_id}.pdf", {"from": 5, "to": 5}))
    assert len(single.pages) == 1


def test_pages_are_printed_at_print_resolution_and_true_size(client, page_scan, tmp_path):
    """A 300 dpi A5-ish scan becomes a 150 dpi image on a page of the original's size in points."""
    item = digitize(english_record(), page_scan, tmp_path / "scans", pages=1, text=ENGLISH_TEXT,
                    size=(1500, 2100), dpi=300)
    pdf = _pdf(client.get(f"/iiif/download/{item.record_id}.pdf"))
    page = pdf.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (360, 504)  # 5 × 7 inches
    image = page.images[0].image
    assert image.size == (1500 * PRINT_DPI // 300, 2100 * PRINT_DPI // 300)


def test_downloads_are_capped(client, settings, book):
    settings.KITABKHANA = {**settings.KITABKHANA, "IIIF_DOWNLOAD_MAX_PAGES": 2}
    url = f"/iiif/download/{book.record_id}.pdf"
    refused = client.get(url, {"from": 1, "to": 3})
    assert refused.status_code == 400 and "at most 2 pages" in refused.json()["error"]
    assert len(_pdf(client.get(url, {"from": 4, "to": 5})).pages) == 2
    # Without a range, the first pages up to the cap.
    assert len(_pdf(client.get(url)).pages) == 2
    assert client.get(url, {"from": 4, "to": 9}).status_code == 400
    assert client.get(url, {"from": "one"}).status_code == 400


def test_the_manifest_offers_the_capped_range_for_a_long_book(client, settings, book):
    settings.KITABKHANA = {**settings.KITABKHANA, "IIIF_DOWNLOAD_MAX_PAGES": 3}
    manifest = client.get(f"/iiif/manifest/{book.record_id}").json()
    assert manifest["rendering"][0]["id"].endswith(f"/iiif/download/{book.record_id}.pdf?from=1&to=3")


def test_no_download_where_the_item_is_not_downloadable(client, book):
    book.downloadable = False
    book.save()
    response = client.get(f"/iiif/download/{book.record_id}.pdf")
    assert response.status_code == 403 and "not allowed" in response.json()["error"]


def test_downloads_follow_the_access_rule_and_are_logged(client, settings, book):
    book.access = Access.REGISTERED
    book.save()
    url = f"/iiif/download/{book.record_id}.pdf"
    assert client.get(url).status_code == 401
    reader = get_user_model().objects.create_user(username="reader@example.org", password="a-long-password-1")
    client.force_login(reader)
    assert len(_pdf(client.get(url, {"from": 1, "to": 1}, REMOTE_ADDR="198.51.100.3")).pages) == 1
    assert AccessLogEntry.objects.filter(user=reader, what="download", ip="198.51.100.3").count() == 1

    settings.KITABKHANA = {**settings.KITABKHANA, "READING_ROOM_NETWORKS": ["10.20.0.0/16"]}
    book.access = Access.ON_SITE
    book.save()
    assert client.get(url, REMOTE_ADDR="203.0.113.5").status_code == 403
    assert client.get(url, {"to": 1}, REMOTE_ADDR="10.20.0.8").status_code == 200

    book.access = Access.OPEN
    book.embargo_until = dt.date.today() + dt.timedelta(days=10)
    book.save()
    assert client.get(url, {"to": 1}).status_code == 403
    client.force_login(staff_user_create(username="curator", password="a-long-password-1",
                                         institution=institution_default()))
    assert client.get(url, {"to": 1}).status_code == 200


def test_page_ranges_are_checked():
    assert page_range_parse(first=None, last=None, page_count=500, limit=200).count == 200
    assert page_range_parse(first="3", last="3", page_count=5, limit=200).first == 3
    for first, last in (("0", "2"), ("4", "2"), ("1", "6")):
        with pytest.raises(Exception, match="not within"):
            page_range_parse(first=first, last=last, page_count=5, limit=200)


def test_the_pdf_stream_renders_each_page_only_when_it_is_reached():
    """The writer asks for a page when it gets there, so a long download holds one page at a time."""
    import pyvips

    rendered: list[int] = []
    jpeg = pyvips.Image.black(20, 30).jpegsave_buffer()

    def page(number: int):
        def render() -> PdfImage:
            rendered.append(number)
            return PdfImage(jpeg=jpeg, pixel_width=20, pixel_height=30, grey=True, width_points=72, height_points=108)
        return render

    stream = pdf_stream([page(1), page(2)], title="دیوان")
    head = next(stream) + next(stream) + next(stream)
    assert rendered == [] and head.startswith(b"%PDF-1.4")
    pdf = PdfReader(io.BytesIO(head + b"".join(stream)))
    assert rendered == [1, 2] and len(pdf.pages) == 2 and pdf.metadata.title == "دیوان"

"""Search inside a book: the selector on OCR'd Persian pages (letter variants both ways, boxes on the page), the
IIIF Content Search 2.0 response's shape, the OCR text endpoints, and the access rule with its log."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth import get_user_model

from conftest import ENGLISH_TEXT, PERSIAN_TEXT
from kitabkhana.digitization.models import Access, AccessLogEntry, DigitalItem
from kitabkhana.digitization.selectors import item_search
from kitabkhana.digitization.services.ocr import item_ocr
from kitabkhana.digitization.tests.test_ocr import PAGE, make_book

pytestmark = pytest.mark.django_db

SECOND_PAGE = "در آن زمان کتابخانه شیراز\nکتاب‌های بسیار داشت"


@pytest.fixture
def book(tmp_path, page_scan, settings):
    """An open, published Persian book of two OCR'd pages."""
    settings.KITABKHANA = {**settings.KITABKHANA, "DATA_DIR": tmp_path / "data",
                           "READING_ROOM_NETWORKS": ["10.20.0.0/16"]}
    item = make_book(tmp_path, page_scan, texts=[PERSIAN_TEXT, SECOND_PAGE])
    item_ocr(item=item)
    return item


def _url(item: DigitalItem, query: str, **more) -> str:
    return f"/iiif/search/{item.record_id}?" + "&".join([f"q={query}", *(f"{k}={v}" for k, v in more.items())])


def test_arabic_letters_in_the_query_find_persian_text_with_boxes_on_the_page(book):
    """ك and ي typed by the reader meet ک and ی on the page: the catalogue's normalisation on both sides."""
    result = item_search(item=book, query="كتابهاي")  # Arabic kaf and yeh, no ZWNJ
    assert [hit.page.order for hit in result.hits] == [2]
    [hit] = result.hits
    assert hit.match.exact == "کتاب‌های"
    box = hit.match.box
    assert 0 <= box.x0 < box.x1 <= PAGE["width"] and 0 <= box.y0 < box.y1 <= PAGE["height"]


def test_every_query_word_must_be_on_the_page_and_phrases_are_one_hit(book):
    assert [h.page.order for h in item_search(item=book, query="عشق").hits] == [1]
    assert item_search(item=book, query="عشق شیراز").hits == []  # on different pages
    [phrase] = item_search(item=book, query="كتابخانه شيراز").hits
    assert phrase.match.exact == "کتابخانه شیراز" and len(phrase.match.words) == 2
    assert [h.page.order for h in item_search(item=book, query="در").hits] == [1, 2]  # every occurrence
    assert item_search(item=book, query="  ؟ ").hits == []


def test_content_search_response_has_the_iiif_shape(client, book):
    response = client.get(_url(book, "كتابخانه", motivation="painting"))
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Content-Type"].startswith("application/ld+json")
    document = json.loads(response.content)
    base = "http://testserver"
    assert document["@context"] == "http://iiif.io/api/search/2/context.json"
    assert document["type"] == "AnnotationPage"
    assert document["id"].startswith(f"{base}/iiif/search/{book.record_id}?q=")
    assert document["ignored"] == ["motivation"]
    assert document["partOf"]["type"] == "AnnotationCollection" and document["partOf"]["total"] == 1
    assert document["startIndex"] == 0 and "next" not in document
    [annotation] = document["items"]
    assert set(annotation) == {"id", "type", "motivation", "body", "target"}
    assert annotation["type"] == "Annotation" and annotation["motivation"] == "highlighting"
    canvas = f"{base}/iiif/manifest/{book.record_id}/canvas/2"
    match = re.fullmatch(re.escape(canvas) + r"#xywh=(\d+),(\d+),(\d+),(\d+)", annotation["target"])
    assert match, annotation["target"]
    x, y, w, h = map(int, match.groups())
    assert x + w <= PAGE["width"] and y + h <= PAGE["height"] and w > 0 and h > 0
    assert annotation["body"] == {"type": "TextualBody", "value": "کتابخانه", "format": "text/plain"}
    [context_page] = document["annotations"]
    assert context_page["type"] == "AnnotationPage"
    [context] = context_page["items"]
    assert context["type"] == "Annotation" and context["motivation"] == "contextualizing"
    assert context["target"]["type"] == "SpecificResource" and context["target"]["source"] == annotation["id"]
    [selector] = context["target"]["selector"]
    assert selector["type"] == "TextQuoteSelector" and selector["exact"] == "کتابخانه"
    assert selector["prefix"].endswith("زمان ") and selector["suffix"].startswith(" شیراز")


def test_no_hits_and_bad_pages(client, book):
    document = client.get(_url(book, "nothing-like-this")).json()
    assert document["items"] == [] and document["partOf"]["total"] == 0 and "annotations" not in document
    assert client.get(_url(book, "عشق", page="x")).status_code == 400
    assert client.get(_url(book, "عشق", page=2)).status_code == 404
    assert client.get("/iiif/search/999999?q=x").status_code == 404
    # A query of a thousand different words is refused, not handed to the database (which answered 500).
    many = client.get(_url(book, "+".join(f"w{n}" for n in range(1000))))
    assert many.status_code == 400 and "at most 32" in many.json()["error"]
    assert client.get(_url(book, "+".join(["عشق"] * 100))).status_code == 200  # repeated words count once


def test_page_text_and_hocr_are_served(client, book):
    text = client.get(f"/iiif/search/{book.record_id}/text/2.txt")
    assert text.status_code == 200 and text["Content-Type"] == "text/plain; charset=utf-8"
    assert "شیراز" in text.content.decode()
    hocr = client.get(f"/iiif/search/{book.record_id}/text/1.hocr")
    assert hocr.status_code == 200 and b"ocrx_word" in hocr.content
    assert hocr["X-Content-Type-Options"] == "nosniff" and hocr["Access-Control-Allow-Origin"] == "*"
    assert client.get(f"/iiif/search/{book.record_id}/text/3.txt").status_code == 404
    # Open material is not logged.
    assert not AccessLogEntry.objects.exists()


def test_access_rule_refuses_with_reasons(client, book):
    book.access = Access.REGISTERED
    book.save()
    refused = client.get(_url(book, "عشق"))
    assert refused.status_code == 401 and "sign in" in refused.json()["error"]
    assert client.get(f"/iiif/search/{book.record_id}/text/1.txt").status_code == 401
    book.access = Access.STAFF
    book.save()
    assert client.get(_url(book, "عشق")).status_code == 403
    book.access = Access.OPEN
    book.stage = DigitalItem.Stage.QA
    book.save()
    assert client.get(_url(book, "عشق")).status_code == 404  # not published: readers are not told it exists
    assert not AccessLogEntry.objects.exists()


def test_readings_of_restricted_material_are_logged(client, book):
    reader = get_user_model().objects.create_user("reader", password="x")
    book.access = Access.REGISTERED
    book.save()
    client.force_login(reader)
    response = client.get(_url(book, "عشق"), REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    client.get(f"/iiif/search/{book.record_id}/text/1.txt", REMOTE_ADDR="192.0.2.7")
    entries = list(AccessLogEntry.objects.order_by("id").values_list("what", "user__username", "ip"))
    assert entries == [("search", "reader", "192.0.2.7"), ("text", "reader", "192.0.2.7")]
    # On site only: a reading room address is let in (and logged), one from home is not.
    client.logout()
    book.access = Access.ON_SITE
    book.save()
    assert client.get(_url(book, "عشق"), REMOTE_ADDR="203.0.113.9").status_code == 403
    assert client.get(_url(book, "عشق"), REMOTE_ADDR="10.20.3.4").status_code == 200
    assert AccessLogEntry.objects.filter(what="search", ip="10.20.3.4", user=None).count() == 1


def test_staff_search_an_unpublished_item(client, book, tmp_path, page_scan):
    staff = get_user_model().objects.create_superuser("chief", password="x")
    book.stage = DigitalItem.Stage.QA
    book.save()
    client.force_login(staff)
    assert client.get(_url(book, "عشق")).json()["partOf"]["total"] == 1


def test_english_book_search(client, tmp_path, page_scan, settings):
    settings.KITABKHANA = {**settings.KITABKHANA, "DATA_DIR": tmp_path / "data"}
    item = make_book(tmp_path, page_scan, texts=[ENGLISH_TEXT], languages=("eng",), name="austen")
    item_ocr(item=item)
    document = client.get(_url(item, "Universally ACKNOWLEDGED")).json()
    assert document["partOf"]["total"] == 1
    assert document["annotations"][0]["items"][0]["target"]["selector"][0]["exact"] == "universally acknowledged,"

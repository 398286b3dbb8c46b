"""IIIF Presentation 3.0: manifests built from real catalogue records and real page images, collections per
project, validity against the IIIF community's JSON Schema, and the access rule on both."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
from django.contrib.auth import get_user_model

from kitabkhana.accounts.models import Role
from kitabkhana.accounts.services import institution_default, staff_user_create
from kitabkhana.digitization.models import Access, AccessLogEntry, DigitalItem
from kitabkhana.iiif.tests.books import ENGLISH_TEXT, digitize, english_record, persian_record

pytestmark = pytest.mark.django_db
BASE = "http://testserver"

# Fixtures the validator's own test suite (IIIF/presentation-validator tests/test_validator.py) expects to
# fail besides the broken_* ones: a licence that is neither Creative Commons nor RightsStatements.org, a
# label that is a string, language-map errors; and a collection holding canvases, which it never lists as valid.
INVALID_WITHOUT_THE_NAME = {"non_cc_license.json", "old_format_label.json", "rights_lang_issues.json",
                            "collection_of_canvases.json"}


@pytest.fixture
def schema_validator(shared_data: Path):
    schema = json.loads((shared_data / "iiif" / "iiif_3_0.json").read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema)


@pytest.fixture
def persian_book(page_scan, tmp_path) -> DigitalItem:
    return digitize(persian_record(), page_scan, tmp_path / "scans", pages=4,
                    structure=[{"label": "دیباچه", "first": 1, "last": 2}, {"label": "غزلیات", "first": 3, "last": 4}])


def _manifest(client, item: DigitalItem, **extra) -> dict:
    response = client.get(f"/iiif/manifest/{item.record_id}", **extra)
    assert response.status_code == 200, response.content
    return json.loads(response.content)


def test_persian_book_manifest_reads_right_to_left_with_persian_labels_pages_and_ranges(client, persian_book):
    """A Persian book: its title in Persian (880) and romanised, RTL, paged, one canvas per page, two ranges."""
    response = client.get(f"/iiif/manifest/{persian_book.record_id}")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Content-Type"].startswith("application/ld+json")
    manifest = json.loads(response.content)
    record_id = persian_book.record_id
    manifest_id = f"{BASE}/iiif/manifest/{record_id}"
    assert manifest["@context"] == "http://iiif.io/api/presentation/3/context.json"
    assert manifest["id"] == manifest_id and manifest["type"] == "Manifest"
    assert any("دو سده سخنور" in value for value in manifest["label"]["fa"])
    assert any("Majmūʻah" in value for value in manifest["label"]["none"])
    assert manifest["viewingDirection"] == "right-to-left"
    assert manifest["behavior"] == ["paged"]
    assert manifest["rights"] == "http://creativecommons.org/publicdomain/mark/1.0/"
    assert manifest["requiredStatement"]["value"]["fa"] == ["کتابخانه ملی"]

    canvases = manifest["items"]
    pages = list(persian_book.pages.select_related("image").order_by("order"))
    assert [c["id"] for c in canvases] == [f"{manifest_id}/canvas/{p.order}" for p in pages]
    assert [c["label"]["none"] for c in canvases] == [["۱"], ["۲"], ["۳"], ["۴"]]
    first, image = canvases[0], pages[0].image
    assert (first["width"], first["height"]) == (image.width, image.height) == (600, 850)
    painting = first["items"][0]["items"][0]
    assert painting["motivation"] == "painting" and painting["target"] == first["id"]
    assert painting["body"]["id"] == f"{BASE}/iiif/3/{image.identifier}/full/max/0/default.jpg"
    assert painting["body"]["service"] == [{"id": f"{BASE}/iiif/3/{image.identifier}", "type": "ImageService3",
                                            "profile": "level2"}]

    ranges = manifest["structures"]
    assert [r["label"] for r in ranges] == [{"fa": ["دیباچه"]}, {"fa": ["غزلیات"]}]
    assert [c["id"] for c in ranges[1]["items"]] == [f"{manifest_id}/canvas/3", f"{manifest_id}/canvas/4"]

    assert manifest["service"] == [{"id": f"{BASE}/iiif/search/{record_id}", "type": "SearchService2"}]
    assert manifest["homepage"][0]["id"] == f"{BASE}/records/{record_id}/"
    assert manifest["seeAlso"][0]["id"] == f"{BASE}/records/{record_id}/download/?format=marcxml"
    assert manifest["rendering"][0]["id"] == f"{BASE}/iiif/download/{record_id}.pdf"
    assert manifest["rendering"][0]["format"] == "application/pdf"

    metadata = {row["label"]["en"][0]: row["value"] for row in manifest["metadata"]}
    assert metadata["Date of publication"]["en"] == ["1398 SH = 2019/2020 CE"]
    assert "۱۳۹۸" in metadata["Date of publication"]["fa"][0]
    assert "Publisher" in metadata and "Language" in metadata and "Title" in metadata


def test_english_book_reads_left_to_right_and_without_download_when_not_allowed(client, page_scan, tmp_path):
    item = digitize(english_record(), page_scan, tmp_path / "scans", pages=2, text=ENGLISH_TEXT,
                    downloadable=False)
    manifest = _manifest(client, item)
    assert manifest["viewingDirection"] == "left-to-right"
    assert "en" in manifest["label"] and "fa" not in manifest["label"]
    assert "rendering" not in manifest and "structures" not in manifest
    assert len(manifest["items"]) == 2


@pytest.mark.shared_data
def test_the_schema_rejects_the_broken_fixtures_and_accepts_the_others(shared_data, schema_validator):
    """Proves the validation works: every broken_* fixture fails, every valid one passes."""
    fixtures = sorted((shared_data / "iiif" / "presentation-3-fixtures").glob("*.json"))
    assert len(fixtures) > 20
    for path in fixtures:
        errors = list(schema_validator.iter_errors(json.loads(path.read_text(encoding="utf-8"))))
        if path.name.startswith("broken_") or path.name in INVALID_WITHOUT_THE_NAME:
            assert errors, f"{path.name} should be rejected"
        else:
            assert not errors, f"{path.name} should be accepted: {errors[0].message[:300]}"


@pytest.mark.shared_data
def test_our_manifests_and_collection_are_valid_presentation_3(client, page_scan, tmp_path, persian_book,
                                                              schema_validator):
    english = digitize(english_record(), page_scan, tmp_path / "english", pages=2, text=ENGLISH_TEXT)
    documents = [_manifest(client, persian_book), _manifest(client, english),
                 json.loads(client.get("/iiif/collection/rare-books").content)]
    for document in documents:
        errors = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in schema_validator.iter_errors(document)]
        assert not errors, (document["id"], errors)


def test_collection_lists_the_published_manifests_the_reader_may_open(client, page_scan, tmp_path, persian_book):
    staff_only = digitize(english_record(), page_scan, tmp_path / "english", pages=1, text=ENGLISH_TEXT,
                          access=Access.STAFF)
    response = client.get("/iiif/collection/rare-books")
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    collection = json.loads(response.content)
    assert collection["type"] == "Collection" and collection["label"]["fa"] == ["کتاب‌های نادر"]
    assert [m["id"] for m in collection["items"]] == [f"{BASE}/iiif/manifest/{persian_book.record_id}"]
    assert collection["items"][0]["type"] == "Manifest" and "fa" in collection["items"][0]["label"]

    staff = staff_user_create(username="curator", password="a-long-password-1", institution=institution_default(),
                              role=Role.SUPERVISOR)
    client.force_login(staff)
    listed = [m["id"] for m in json.loads(client.get("/iiif/collection/rare-books").content)["items"]]
    assert f"{BASE}/iiif/manifest/{staff_only.record_id}" in listed
    assert client.get("/iiif/collection/no-such-project").status_code == 404


def _reader(username: str = "reader@example.org"):
    return get_user_model().objects.create_user(username=username, email=username, password="a-long-password-1")


def test_registered_item_asks_anonymous_readers_to_sign_in_and_logs_readers(client, persian_book):
    persian_book.access = Access.REGISTERED
    persian_book.save()
    url = f"/iiif/manifest/{persian_book.record_id}"
    response = client.get(url)
    assert response.status_code == 401
    assert "sign in" in json.loads(response.content)["error"]
    assert "/accounts/login/" in response["WWW-Authenticate"]
    reader = _reader()
    client.force_login(reader)
    assert client.get(url, REMOTE_ADDR="198.51.100.7").status_code == 200
    entry = AccessLogEntry.objects.get()
    assert (entry.item_id, entry.user_id, entry.ip, entry.what) == (persian_book.pk, reader.pk, "198.51.100.7",
                                                                      "manifest")


def test_open_item_is_not_logged(client, persian_book):
    _manifest(client, persian_book)
    assert not AccessLogEntry.objects.exists()


def test_on_site_item_opens_only_inside_the_reading_room_networks(client, settings, persian_book):
    settings.KITABKHANA = {**settings.KITABKHANA, "READING_ROOM_NETWORKS": ["10.20.0.0/16"]}
    persian_book.access = Access.ON_SITE
    persian_book.save()
    url = f"/iiif/manifest/{persian_book.record_id}"
    refused = client.get(url, REMOTE_ADDR="203.0.113.5")
    assert refused.status_code == 403 and "reading rooms" in json.loads(refused.content)["error"]
    client.force_login(_reader())  # an account does not bring the reading room home
    assert client.get(url, REMOTE_ADDR="203.0.113.5").status_code == 403
    assert client.get(url, REMOTE_ADDR="10.20.3.4").status_code == 200
    assert AccessLogEntry.objects.filter(ip="10.20.3.4", what="manifest").count() == 1


def test_staff_only_and_embargoed_items_open_to_staff_alone(client, persian_book):
    persian_book.access = Access.STAFF
    persian_book.save()
    url = f"/iiif/manifest/{persian_book.record_id}"
    assert client.get(url).status_code == 403
    client.force_login(_reader())
    assert client.get(url).status_code == 403

    persian_book.access = Access.OPEN
    persian_book.embargo_until = dt.date.today() + dt.timedelta(days=30)
    persian_book.save()
    refused = client.get(url)
    assert refused.status_code == 403 and "embargoed until" in json.loads(refused.content)["error"]

    staff = staff_user_create(username="curator", password="a-long-password-1", institution=institution_default())
    client.force_login(staff)
    assert client.get(url).status_code == 200
    assert AccessLogEntry.objects.filter(user=staff, what="manifest").count() == 1


def test_unpublished_item_is_unknown_to_readers_and_previewed_by_staff(client, persian_book):
    persian_book.stage = DigitalItem.Stage.QA
    persian_book.save()
    url = f"/iiif/manifest/{persian_book.record_id}"
    assert client.get(url).status_code == 404
    client.force_login(staff_user_create(username="curator", password="a-long-password-1",
                                         institution=institution_default()))
    assert client.get(url).status_code == 200
    assert client.get("/iiif/manifest/999999").status_code == 404


def test_staff_page_lists_the_access_log_of_an_item(client, persian_book):
    persian_book.access = Access.REGISTERED
    persian_book.save()
    client.force_login(_reader())
    client.get(f"/iiif/manifest/{persian_book.record_id}", REMOTE_ADDR="198.51.100.9")
    page = f"/iiif/access-log/{persian_book.record_id}/"
    assert client.get(page).status_code == 403
    client.force_login(staff_user_create(username="curator", password="a-long-password-1",
                                         institution=institution_default()))
    html = client.get(page).content.decode()
    assert "reader@example.org" in html and "198.51.100.9" in html and "manifest" in html

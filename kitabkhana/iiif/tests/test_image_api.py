"""The IIIF Image API 3.0 at /iiif/3/: real pages (rendered in Noto by ``page_scan``, registered with
``image_register``) rendered through every parameter family, the errors the specification asks for, CORS,
conditional requests, the derivative cache, the access rule, and bad input (damaged files, decompression bombs,
path tricks in identifiers)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
import pyvips
from django.core.cache import cache
from django.core.management import CommandError, call_command

from kitabkhana.accounts.services import institution_default, staff_user_create
from kitabkhana.core.errors import ValidationFailed
from kitabkhana.digitization.models import AccessLogEntry, DigitalImage, DigitalItem, Page, Project
from kitabkhana.digitization.services.images import image_register
from kitabkhana.iiif import image_cache
from kitabkhana.imaging.iiif_image import ImageApiError, image_request_parse
from kitabkhana.imaging.specimen import ENGLISH_TEXT

pytestmark = pytest.mark.django_db

WIDTH, HEIGHT = 1200, 1600
BASE = "/iiif/3"


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.KITABKHANA = {**settings.KITABKHANA, "DATA_DIR": tmp_path / "data"}
    image_cache.cache_reset()
    cache.clear()
    yield tmp_path / "data"
    image_cache.cache_reset()


@pytest.fixture
def page(page_scan, tmp_path) -> DigitalImage:
    """A standalone colour page (open to all)."""
    source = tmp_path / "scan.jpg"
    page_scan(source, ENGLISH_TEXT, width=WIDTH, height=HEIGHT)
    return image_register(source=source, identifier="page-1")


def _item(page_scan, tmp_path, *, stage: str, access: str, identifier: str = "book-p1") -> DigitalItem:
    from kitabkhana.catalogue.models import Record

    institution = institution_default()
    record = Record.objects.create(flavour="marc21", institution=institution, marc=b"", title="A book")
    project = Project.objects.create(code=f"p-{identifier}", name="Line 1", institution=institution)
    item = DigitalItem.objects.create(project=project, record=record, stage=stage, access=access)
    source = tmp_path / f"{identifier}.png"
    page_scan(source, ENGLISH_TEXT, width=600, height=800)
    Page.objects.create(item=item, order=1, label="1", image=image_register(source=source, identifier=identifier))
    return item


def _image(response) -> pyvips.Image:
    assert response.status_code == 200, response.content[:300]
    return pyvips.Image.new_from_buffer(response.content, "")


# --- the pure request core ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("params", "canonical"), [
    (("full", "max", "0", "default.jpg"), "full/max/0/default.jpg"),
    (("full", "max", "0", "color.jpg"), "full/max/0/default.jpg"),
    (("0,0,1200,1600", "1200,", "360", "gray.png"), "full/max/360/gray.png"),
    (("square", "300,", "!0", "default.jpg"), "0,200,1200,1200/300,300/!0/default.jpg"),
    (("pct:50,50,50,50", "pct:50", "22.50", "bitonal.webp"), "600,800,600,800/300,400/22.5/bitonal.webp"),
    (("1000,1500,500,500", "max", "90", "default.jpg"), "1000,1500,200,100/max/90/default.jpg"),
    (("full", "!600,600", "0.5", "default.jpg"), "full/450,600/0.5/default.jpg"),
    (("0,0,100,100", "^200,", "0", "default.jpg"), "0,0,100,100/^200,200/0/default.jpg"),
])
def test_requests_are_canonicalised(params, canonical):
    """Canonical form (spec 4.7): full/x,y,w,h region, max or w,h size, trimmed rotation, default quality."""
    assert image_request_parse(*params, width=WIDTH, height=HEIGHT).canonical == canonical


@pytest.mark.parametrize(("params", "status", "says"), [
    (("1200,0,10,10", "max", "0", "default.jpg"), 400, "outside"),
    (("0,0,0,10", "max", "0", "default.jpg"), 400, "greater than 0"),
    (("pct:100,0,10,10", "max", "0", "default.jpg"), 400, "outside"),
    (("bogus", "max", "0", "default.jpg"), 400, "region"),
    (("full", "0,", "0", "default.jpg"), 400, "greater than 0"),
    (("full", "0,0", "0", "default.jpg"), 400, "greater than 0"),
    (("full", "pct:0", "0", "default.jpg"), 400, "greater than 0"),
    (("full", "2400,", "0", "default.jpg"), 400, "^2400,"),
    (("full", "pct:150", "0", "default.jpg"), 400, "^pct:150"),
    (("full", "!5000,5000", "0", "default.jpg"), 400, "upscale"),
    (("full", "^,20000", "0", "default.jpg"), 400, "limits"),
    (("full", "max", "361", "default.jpg"), 400, "0 to 360"),
    # Within the limits as a size, but its bounding box at 45° is twice the area (memory ran past 2 GB).
    (("full", "^max", "45", "default.webp"), 400, "comes to 9900 × 9900 pixels"),
    (("full", "^max", "!22.5", "default.gif"), 400, "beyond this server's limits"),
    (("full", "max", "-90", "default.jpg"), 400, "rotation"),
    (("full", "max", "0", "sepia.jpg"), 400, "quality"),
    (("full", "max", "0", "default"), 400, "quality.format"),
    (("full", "max", "0", "default.bmp"), 400, "format"),
    (("full", "max", "0", "default.jp2"), 501, "not served"),
    (("full", "max", "0", "default.pdf"), 501, "not served"),
])
def test_bad_requests_say_what_is_wrong(params, status, says):
    with pytest.raises(ImageApiError) as caught:
        image_request_parse(*params, width=WIDTH, height=HEIGHT)
    assert caught.value.status == status
    assert says in caught.value.message


# --- the HTTP face --------------------------------------------------------------------------------------------

def test_info_json_describes_a_level2_service(client, page):
    response = client.get(f"{BASE}/page-1/info.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert '<http://iiif.io/api/image/3/level2.json>;rel="profile"' in response["Link"]
    info = response.json()
    assert info["@context"] == "http://iiif.io/api/image/3/context.json"
    assert info["id"] == "http://testserver/iiif/3/page-1"
    assert (info["type"], info["protocol"], info["profile"]) == ("ImageService3", "http://iiif.io/api/image", "level2")
    assert (info["width"], info["height"]) == (WIDTH, HEIGHT)
    assert info["tiles"] == [{"width": 512, "height": 512, "scaleFactors": [1, 2, 4]}]
    assert {"width": 300, "height": 400} in info["sizes"]
    assert {"mirroring", "sizeUpscaling", "rotationArbitrary"} <= set(info["extraFeatures"])
    assert info["maxArea"] > 0 and info["maxWidth"] > 0
    ld = client.get(f"{BASE}/page-1/info.json", HTTP_ACCEPT="application/ld+json")
    assert ld["Content-Type"] == 'application/ld+json;profile="http://iiif.io/api/image/3/context.json"'


def test_base_uri_redirects_to_info_json(client, page):
    response = client.get(f"{BASE}/page-1")
    assert response.status_code == 303
    assert response["Location"] == f"{BASE}/page-1/info.json"


@pytest.mark.parametrize(("fmt", "magic", "media_type"), [
    ("jpg", b"\xff\xd8\xff", "image/jpeg"), ("png", b"\x89PNG", "image/png"), ("webp", b"RIFF", "image/webp"),
    ("tif", b"II*\x00", "image/tiff"), ("gif", b"GIF8", "image/gif"),
])
def test_formats(client, page, fmt, magic, media_type):
    response = client.get(f"{BASE}/page-1/full/300,/0/default.{fmt}")
    assert response.status_code == 200
    assert response["Content-Type"] == media_type
    assert response.content.startswith(magic)
    assert (_image(response).width, _image(response).height) == (300, 400)


@pytest.mark.parametrize(("region", "size", "rotation", "expected"), [
    ("full", "max", "0", (WIDTH, HEIGHT)),
    ("0,0,512,512", "512,", "0", (512, 512)),
    ("1024,1024,512,512", "max", "0", (176, 512)),  # cropped at the image's edge
    ("0,0,1024,1024", "512,", "0", (512, 512)),
    ("pct:25,25,50,50", "max", "0", (600, 800)),
    ("square", ",200", "0", (200, 200)),
    ("full", "pct:10", "0", (120, 160)),
    ("full", "!100,100", "0", (75, 100)),
    ("full", "100,100", "0", (100, 100)),
    ("0,0,100,100", "^400,", "0", (400, 400)),
    ("full", "^pct:150", "0", (1800, 2400)),
    ("full", "300,", "90", (400, 300)),
    ("full", "300,", "!270", (400, 300)),
    ("full", "300,", "180", (300, 400)),
    ("0,0,100,100", "max", "45", (141, 141)),
])
def test_regions_sizes_and_rotations(client, page, region, size, rotation, expected):
    image = _image(client.get(f"{BASE}/page-1/{region}/{size}/{rotation}/default.png"))
    assert abs(image.width - expected[0]) <= 1 and abs(image.height - expected[1]) <= 1


def test_mirroring_reflects_the_page(client, page):
    plain = _image(client.get(f"{BASE}/page-1/full/300,/0/default.png"))
    mirrored = _image(client.get(f"{BASE}/page-1/full/300,/!0/default.png"))
    assert abs(plain.fliphor().avg() - mirrored.avg()) < 0.01
    assert (plain.fliphor() - mirrored).abs().max() <= 2


def test_qualities(client, page):
    gray = _image(client.get(f"{BASE}/page-1/full/300,/0/gray.png"))
    assert gray.bands == 1
    bitonal = _image(client.get(f"{BASE}/page-1/full/300,/0/bitonal.png"))
    assert bitonal.bands == 1
    assert ((bitonal > 0) & (bitonal < 255)).max() == 0
    assert bitonal.min() == 0 and bitonal.max() == 255
    assert _image(client.get(f"{BASE}/page-1/full/300,/0/color.jpg")).bands == 3


def test_image_response_headers(client, page):
    response = client.get(f"{BASE}/page-1/pct:0,0,50,50/pct:50/0/color.jpg")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"].startswith("public, max-age=")
    assert '<http://iiif.io/api/image/3/level2.json>;rel="profile"' in response["Link"]
    assert '<http://testserver/iiif/3/page-1/0,0,600,800/300,400/0/default.jpg>;rel="canonical"' in response["Link"]
    assert response["ETag"] and response["Last-Modified"]


def test_preflight(client, page):
    response = client.options(f"{BASE}/page-1/full/max/0/default.jpg", HTTP_ORIGIN="https://viewer.example",
                              HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response["Access-Control-Allow-Methods"]


@pytest.mark.parametrize(("path", "status"), [
    ("page-1/1200,0,10,10/max/0/default.jpg", 400),
    ("page-1/full/0,/0/default.jpg", 400),
    ("page-1/full/2400,/0/default.jpg", 400),
    ("page-1/full/max/0/sepia.jpg", 400),
    ("page-1/full/max/0/default.bmp", 400),
    ("page-1/full/max/0/default.jp2", 501),
    ("page-1/full/max/0/default.pdf", 501),
    ("no-such-image/full/max/0/default.jpg", 404),
    ("no-such-image/info.json", 404),
])
def test_error_statuses(client, page, path, status):
    response = client.get(f"{BASE}/{path}")
    assert response.status_code == status
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Content-Type"].startswith("text/plain")


def test_not_modified_and_derivative_cache(client, page, data_dir):
    url = f"{BASE}/page-1/0,0,512,512/256,/0/default.jpg"
    first = client.get(url)
    assert first["X-Derivative-Cache"] == "miss"
    cached = list((data_dir / "iiif" / "cache").glob("*/*.jpg"))
    assert len(cached) == 1 and cached[0].read_bytes() == first.content
    # The same request in another spelling is the same canonical request, so the same file.
    again = client.get(f"{BASE}/page-1/0,0,512,512/256,256/0/color.jpg")
    assert again["X-Derivative-Cache"] == "hit" and again.content == first.content
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_derivative_cache_is_bounded(client, page, data_dir, settings):
    settings.KITABKHANA = {**settings.KITABKHANA, "IIIF_CACHE_MAX_BYTES": 40_000}
    image_cache.cache_reset()
    for x in range(0, 1200, 100):
        assert client.get(f"{BASE}/page-1/{x},0,100,100/max/0/default.png").status_code == 200
    kept = sum(path.stat().st_size for path in (data_dir / "iiif" / "cache").glob("*/*"))
    assert 0 < kept <= 40_000


# --- access ---------------------------------------------------------------------------------------------------

def test_a_standalone_image_is_open(client, page):
    response = client.get(f"{BASE}/page-1/full/100,/0/default.jpg")
    assert response.status_code == 200
    assert not AccessLogEntry.objects.exists()


def test_pages_of_unpublished_items_are_refused_to_the_public(client, page_scan, tmp_path):
    item = _item(page_scan, tmp_path, stage=DigitalItem.Stage.QA, access="registered")
    for url in (f"{BASE}/book-p1/info.json", f"{BASE}/book-p1/full/100,/0/default.jpg"):
        response = client.get(url)
        assert response.status_code == 403
        assert b"not published" in response.content
    staff = staff_user_create(username="scanner", password="a-long-password-1", institution=institution_default())
    client.force_login(staff)
    response = client.get(f"{BASE}/book-p1/full/100,/0/default.jpg")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("private")
    entry = AccessLogEntry.objects.get()
    assert (entry.item, entry.user, entry.what) == (item, staff, "image")


def test_registered_readers_sign_in_and_their_readings_are_logged(client, page_scan, tmp_path, django_user_model):
    item = _item(page_scan, tmp_path, stage=DigitalItem.Stage.PUBLISHED, access="registered")
    refused = client.get(f"{BASE}/book-p1/full/100,/0/default.jpg")
    assert refused.status_code == 401
    assert b"sign in" in refused.content
    reader = django_user_model.objects.create_user(username="reader", password="a-long-password-1")
    client.force_login(reader)
    for _ in range(3):
        assert client.get(f"{BASE}/book-p1/full/100,/0/default.jpg").status_code == 200
    # One entry per reader, item and address in a window, not one per tile.
    assert list(AccessLogEntry.objects.values_list("item", "user", "what")) == [(item.pk, reader.pk, "image")]


def test_staff_only_pages_are_forbidden_to_readers(client, page_scan, tmp_path, django_user_model):
    _item(page_scan, tmp_path, stage=DigitalItem.Stage.PUBLISHED, access="staff")
    assert client.get(f"{BASE}/book-p1/info.json").status_code == 403
    client.force_login(django_user_model.objects.create_user(username="reader", password="a-long-password-1"))
    assert client.get(f"{BASE}/book-p1/info.json").status_code == 403


# --- bad input ------------------------------------------------------------------------------------------------

def test_truncated_and_corrupt_masters_are_refused_at_registration(page_scan, tmp_path, data_dir):
    whole = tmp_path / "whole.jpg"
    page_scan(whole, ENGLISH_TEXT, width=800, height=1000)
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    corrupt = tmp_path / "corrupt.tif"
    corrupt.write_bytes(b"II*\x00" + b"\x13" * 4000)
    for source in (truncated, corrupt):
        with pytest.raises(ValidationFailed, match=source.name):
            image_register(source=source, identifier=source.stem)
    assert not DigitalImage.objects.exists()
    assert not [p for p in (data_dir / "iiif").rglob("*") if p.is_file()]


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def test_a_decompression_bomb_is_refused(tmp_path, data_dir):
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_header_only(100_000, 100_000))
    with pytest.raises(ValidationFailed, match="100000 × 100000"):
        image_register(source=bomb, identifier="bomb")
    with pytest.raises(CommandError, match="100000 × 100000"):
        call_command("iiif", "add-image", str(bomb), "--identifier", "bomb")
    assert not DigitalImage.objects.exists()


@pytest.mark.parametrize("identifier", [
    "..", "..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "page-1%00", "%2E%2E", "page-1%2F..%2F..", "a b",
    "..%5C..%5Cconftest.py",
])
def test_path_tricks_in_identifiers_find_nothing(client, page, identifier):
    for url in (f"{BASE}/{identifier}/info.json", f"{BASE}/{identifier}/full/max/0/default.jpg"):
        response = client.get(url)
        assert response.status_code in (400, 404), url
        assert b"root:" not in response.content and b"import" not in response.content


# --- the command ----------------------------------------------------------------------------------------------

def test_add_image_command(page_scan, tmp_path, capsys):
    source = tmp_path / "plate.tif"
    page_scan(source, ENGLISH_TEXT, width=500, height=700)
    call_command("iiif", "add-image", str(source), "--identifier", "plate-1", "--dry-run")
    assert not DigitalImage.objects.exists()
    call_command("iiif", "add-image", str(source), "--identifier", "plate-1")
    image = DigitalImage.objects.get(identifier="plate-1")
    assert (image.width, image.height, image.master_format) == (500, 700, "tiff")
    assert "/iiif/3/plate-1/info.json" in capsys.readouterr().out
    with pytest.raises(CommandError, match="already in use"):
        call_command("iiif", "add-image", str(source), "--identifier", "plate-1")
    with pytest.raises(CommandError, match="identifier"):
        call_command("iiif", "add-image", str(source), "--identifier", "../etc")
    assert Path(image.pyramid_path).parts[0] == "iiif"


def test_a_registration_losing_the_race_for_an_identifier_leaves_the_winners_files(page_scan, tmp_path, data_dir,
                                                                                  monkeypatch):
    from django.db import IntegrityError

    from kitabkhana.digitization.services import images

    source = tmp_path / "page.png"
    page_scan(source, ENGLISH_TEXT, width=600, height=800)
    winner = image_register(source=source, identifier="race-1")
    # The loser checked for the identifier before the winner committed, so it writes its files and then
    # fails on the unique identifier.
    monkeypatch.setattr(images, "identifier_check", lambda identifier: identifier)
    real_filter = DigitalImage.objects.filter

    class NotYet:
        def exists(self):
            return False

    monkeypatch.setattr(DigitalImage.objects, "filter",
                        lambda *a, **k: NotYet() if k == {"identifier": "race-1"} else real_filter(*a, **k))
    with pytest.raises(IntegrityError):
        image_register(source=source, identifier="race-1")
    assert images.image_path(winner).is_file() and images.image_path(winner, "master").is_file()
    assert len([p for p in (data_dir / "iiif").rglob("*") if p.is_file()]) == 2

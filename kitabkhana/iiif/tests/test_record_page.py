"""The OPAC record page shows the page viewer of a digitized book to those who may read it, and otherwise says
why; a reader registering from that message comes back to the viewer. (Kept with the IIIF tests: the faces'
tests may not import each other's helpers.)"""

from __future__ import annotations

import datetime as dt

import pytest

from kitabkhana.digitization.models import Access, DigitalItem
from kitabkhana.iiif.tests.books import digitize, persian_record

pytestmark = pytest.mark.django_db
PASSWORD = "reading-from-home-42"


@pytest.fixture
def book(page_scan, tmp_path) -> DigitalItem:
    return digitize(persian_record(), page_scan, tmp_path / "scans", pages=3)


def _page(client, item: DigitalItem, **extra) -> str:
    response = client.get(f"/records/{item.record_id}/", **extra)
    assert response.status_code == 200
    return response.content.decode()


def test_open_book_has_the_viewer_page_links_and_the_download_form(client, book, settings):
    page = _page(client, book)
    assert f'data-manifest="/iiif/manifest/{book.record_id}"' in page
    assert 'data-direction="right-to-left"' in page
    first = book.pages.get(order=1).image.identifier
    assert f'href="/iiif/3/{first}/full/max/0/default.jpg"' in page  # the plain links every browser gets
    assert f'action="/iiif/download/{book.record_id}.pdf"' in page
    assert 'id="viewer-text"' in page
    if settings.STATICFILES_DIRS:  # OpenSeadragon installed by `make install` (npm ci)
        assert "vendor/openseadragon/openseadragon.min.js" in page and "iiif/viewer.js" in page


def test_pages_are_offered_for_download_only_where_downloads_are_allowed(client, book):
    """The viewer's "Download this page" follows the item's rights like the PDF form (viewer.js reads the flag)."""
    assert 'data-downloadable="true"' in _page(client, book)
    DigitalItem.objects.filter(pk=book.pk).update(downloadable=False)
    page = _page(client, book)
    assert 'data-downloadable="false"' in page and 'class="download-range"' not in page


def test_without_openseadragon_the_page_keeps_plain_links(client, book, settings):
    settings.STATICFILES_DIRS = []  # as on a machine where `npm ci` did not run
    page = _page(client, book)
    assert "openseadragon.min.js" not in page and "/full/max/0/default.jpg" in page


@pytest.mark.parametrize(("fields", "message"), [
    ({"access": Access.REGISTERED}, "Sign in"),
    ({"access": Access.ON_SITE}, "only in the library's reading rooms"),
    ({"access": Access.STAFF}, "only by library staff"),
    ({"embargo_until": dt.date(2999, 1, 1)}, "under embargo until 2999-01-01"),
])
def test_a_book_the_reader_may_not_read_shows_why(client, book, fields, message):
    DigitalItem.objects.filter(pk=book.pk).update(**fields)
    page = _page(client, book)
    assert message in page and 'id="page-viewer"' not in page


def test_a_book_not_yet_published_is_not_mentioned_to_readers(client, book):
    DigitalItem.objects.filter(pk=book.pk).update(stage=DigitalItem.Stage.QA)
    assert "Read online" not in _page(client, book)


def test_registered_reader_opens_a_book_for_registered_readers(client, page_scan, tmp_path):
    """From the record page's message, through registration, back to the page that now shows the viewer."""
    item = digitize(persian_record(), page_scan, tmp_path / "scans", pages=2, access=Access.REGISTERED)
    record_page = f"/records/{item.record_id}/"
    message = client.get(record_page).content.decode()
    assert f'href="/accounts/register/?next={record_page}"' in message
    assert 'id="page-viewer"' not in message
    assert client.get(f"/iiif/manifest/{item.record_id}").status_code == 401
    response = client.post("/accounts/register/", {"name": "Parvin", "email": "parvin@example.org",
                                                   "password": PASSWORD, "next": record_page})
    assert response["Location"] == record_page
    assert 'id="page-viewer"' in client.get(record_page).content.decode()
    assert client.get(f"/iiif/manifest/{item.record_id}").status_code == 200


@pytest.mark.django_db
def test_the_access_log_is_for_the_lines_institution_and_supervisors(client, tmp_path, page_scan):
    from kitabkhana.accounts.models import InstitutionKind, Role
    from kitabkhana.accounts.services import institution_create, institution_default, staff_user_create
    from kitabkhana.digitization.models import Access
    from kitabkhana.iiif.tests.books import digitize, persian_record

    record = persian_record()
    digitize(record, page_scan, tmp_path / "book", pages=1, access=Access.REGISTERED)
    other = institution_create(code="IR-TBZ", name="Tabriz", kind=InstitutionKind.PROVINCIAL)
    outsider = staff_user_create(username="tbz", password="a-long-password-1", institution=other,
                                 role=Role.CATALOGUER)
    insider = staff_user_create(username="nl", password="a-long-password-1", institution=institution_default(),
                                role=Role.CATALOGUER)
    boss = staff_user_create(username="boss", password="a-long-password-1", institution=other,
                             role=Role.SUPERVISOR)
    url = f"/iiif/access-log/{record.pk}/"
    for user, status in ((outsider, 403), (insider, 200), (boss, 200)):
        client.force_login(user)
        assert client.get(url).status_code == status

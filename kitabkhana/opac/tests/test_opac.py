"""The public catalogue over real records: search with facets, record page, MARC view, downloads, citations, i18n."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from kitabkhana.catalogue.models import Record
from kitabkhana.catalogue.services.importing import marc_file_import
from kitabkhana.marc.writer import iso2709_to_record

pytestmark = pytest.mark.django_db
DEMO = Path(__file__).resolve().parents[3] / "demo"


@pytest.fixture
def catalogue():
    for name in ("lc-convspec-880-fixtures.xml", "traject-test_data.utf8.mrc", "rusmarc-nlr-cp1251.iso"):
        job = marc_file_import(path=DEMO / name)
        assert job.status == "done", job.error


@pytest.fixture
def persian_record(catalogue) -> Record:
    return Record.objects.get(control_key__endswith="|21508109")


def test_home_has_search_box_and_browse_facets(client, catalogue):
    page = client.get("/").content.decode()
    assert '<main id="main"' in page and 'role="search"' in page
    assert '<label for="q">' in page
    assert "Russian" in page  # language facet named, not coded


def test_persian_typed_with_persian_letters_finds_record_catalogued_with_arabic_forms(client, persian_record):
    # The 880 has Arabic yeh (ى) and a ZWNJ-free spelling; a reader types Persian yeh (ی).
    page = client.get("/search/", {"q": "سخنوری"}).content.decode()
    assert f'href="/records/{persian_record.pk}/"' in page


def test_facet_links_narrow_and_can_be_removed(client, catalogue):
    page = client.get("/search/", {"q": ""}).content.decode()
    assert "language=rus" in page
    narrowed = client.get("/search/", {"language": "rus"})
    html = narrowed.content.decode()
    assert 'aria-current="true"' in html
    total_rus = narrowed.context["page"].total
    assert 0 < total_rus < client.get("/search/").context["page"].total
    assert all("rus" in r.languages for r in narrowed.context["page"].records)


def test_bad_query_is_explained_not_a_server_error(client, catalogue):
    response = client.get("/search/", {"q": 'title:"unclosed'})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert client.get("/search/", {"page": "zero"}).status_code == 400


def test_paging(client, catalogue):
    first = client.get("/search/", {"page_size": 10})
    assert first.context["paging"]["pages"] > 1 and "next" in first.context["paging"]
    second = client.get("/search/", {"page_size": 10, "page": 2})
    assert {r.pk for r in first.context["page"].records}.isdisjoint(r.pk for r in second.context["page"].records)


def test_record_page_shows_original_script_beside_romanised_and_solar_hijri_year(client, persian_record):
    page = client.get(f"/records/{persian_record.pk}/").content.decode()
    assert "Majmūʻah-ʼi" in page
    assert "دو سده سخنور" in page
    assert 'dir="rtl"' in page
    assert "1398" in page and "2019/2020" in page
    assert "۱۳۹۸" in page


def test_marc_view_lists_every_field(client, persian_record):
    page = client.get(f"/records/{persian_record.pk}/marc/").content.decode()
    marc = iso2709_to_record(bytes(persian_record.marc))
    assert page.count('<th scope="row"') == len(marc.fields) + 1  # + leader


def test_downloads_give_the_stored_record(client, persian_record):
    mrc = client.get(f"/records/{persian_record.pk}/download/", {"format": "iso2709"})
    assert mrc.status_code == 200 and b"".join(mrc) == bytes(persian_record.marc)
    assert "attachment" in mrc["Content-Disposition"]
    xml = b"".join(client.get(f"/records/{persian_record.pk}/download/", {"format": "marcxml"}))
    root = etree.fromstring(xml)
    ns = {"m": "http://www.loc.gov/MARC21/slim"}
    assert root.xpath("string(m:controlfield[@tag='001'])", namespaces=ns).strip() == "21508109"
    as_json = json.loads(b"".join(client.get(f"/records/{persian_record.pk}/download/", {"format": "json"})))
    assert as_json["leader"].startswith("0")
    assert client.get(f"/records/{persian_record.pk}/download/", {"format": "pdf"}).status_code == 400


def test_citations(client, persian_record):
    page = client.get(f"/records/{persian_record.pk}/").content.decode()
    assert "Pīrūzān, Hādī" in page and "(2019)" in page
    ris = b"".join(client.get(f"/records/{persian_record.pk}/cite/", {"format": "ris"})).decode()
    assert ris.startswith("TY  - BOOK") and "AU  - Pīrūzān, Hādī" in ris and "ER  - " in ris
    bib = b"".join(client.get(f"/records/{persian_record.pk}/cite/", {"format": "bibtex"})).decode()
    assert bib.startswith("@book{kitabkhana") and "9786226942058" in bib


def test_missing_record_is_404(client, catalogue):
    assert client.get("/records/999999/").status_code == 404


def test_persian_interface_is_right_to_left(client, catalogue):
    response = client.post("/i18n/setlang/", {"language": "fa", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert '<html lang="fa" dir="rtl">' in page
    assert "جستجو" in page  # "Search"
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 200


def test_every_display_label_is_marked_for_translation():
    from kitabkhana.marc.derive import LABELS
    from kitabkhana.opac.labels import DISPLAY_LABELS

    assert set(LABELS.values()) <= set(DISPLAY_LABELS)

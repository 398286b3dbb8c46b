"""The JSON API: search with facets, records, OpenAPI document, and clear errors for bad parameters."""

from __future__ import annotations

from pathlib import Path

import pytest

from kitabkhana.catalogue.services.importing import marc_file_import

pytestmark = pytest.mark.django_db
DEMO = Path(__file__).resolve().parents[3] / "demo"


@pytest.fixture
def catalogue():
    marc_file_import(path=DEMO / "traject-test_data.utf8.mrc")
    marc_file_import(path=DEMO / "rusmarc-nlr-cp1251.iso")


def test_search_returns_total_hits_and_facets(client, catalogue):
    body = client.get("/api/search", {"q": "", "page_size": 5}).json()
    assert body["total"] == 95
    assert len(body["hits"]) == 5
    languages = {f["value"]: f["count"] for f in body["facets"]["language"]}
    assert languages["rus"] >= 1
    assert sum(f["count"] for f in body["facets"]["institution"]) == 95


def test_facet_filter_narrows_the_results(client, catalogue):
    all_rus = client.get("/api/search", {"language": "rus"}).json()
    assert 0 < all_rus["total"] < 95
    assert all("rus" in hit["languages"] for hit in all_rus["hits"])


def test_record_has_marc_in_json_and_display(client, catalogue):
    hit = client.get("/api/search", {"page_size": 1}).json()["hits"][0]
    body = client.get(f"/api/records/{hit['id']}").json()
    assert body["id"] == hit["id"]
    assert "leader" in body["marc"] and body["display"]


def test_bad_parameters_name_what_was_wrong(client, catalogue):
    response = client.get("/api/search", {"page_size": "500"})
    assert response.status_code == 400 and "page_size" in response.json()["error"]
    assert client.get("/api/search", {"sort": "random"}).status_code == 400
    assert client.get("/api/records/999999").status_code == 404


def test_openapi_document_describes_search(client):
    doc = client.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    params = {p["name"] for p in doc["paths"]["/search"]["get"]["parameters"]}
    assert {"q", "page", "page_size", "language", "year", "institution"} <= params


def test_chosen_facets_only(client, catalogue):
    body = client.get("/api/search", {"facet": ["language", "year"]}).json()
    assert set(body["facets"]) == {"language", "year"}
    bad = client.get("/api/search", {"facet": "colour"})
    assert bad.status_code == 400 and "facet" in bad.json()["error"]


def test_overlong_query_is_refused(client):
    response = client.get("/api/search", {"q": "word " * 300})
    assert response.status_code == 400 and "at most 1000" in response.json()["error"]

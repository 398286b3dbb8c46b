from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from kitabkhana.catalogue.models import Record
from kitabkhana.catalogue.services.importing import marc_file_import
from kitabkhana.oai.tests.oai_schema import NS, validate

DEMO = Path(__file__).resolve().parents[3] / "demo"
REPOSITORY = "kitabkhana.localhost"  # what the test client's host ("testserver") falls back to


@pytest.fixture
def demo_dir() -> Path:
    return DEMO


class Oai:
    """Requests to /oai through the Django test client; every response is schema-checked."""

    def __init__(self, client) -> None:
        self.client = client

    def get(self, **params) -> etree._Element:
        response = self.client.get("/oai", params)
        return self._check(response)

    def post(self, **params) -> etree._Element:
        response = self.client.post("/oai", params)
        return self._check(response)

    def raw(self, query: str) -> etree._Element:
        return self._check(self.client.get("/oai?" + query))

    @staticmethod
    def _check(response) -> etree._Element:
        assert response.status_code == 200
        assert response["Content-Type"] == "text/xml; charset=utf-8"
        return validate(response.content)

    @staticmethod
    def error(root: etree._Element) -> str | None:
        errors = root.findall("o:error", NS)
        return errors[0].get("code") if errors else None

    @staticmethod
    def token(root: etree._Element) -> etree._Element | None:
        return root.find(".//o:resumptionToken", NS)

    def harvest(self, verb: str = "ListIdentifiers", between_pages=None, **params) -> list[etree._Element]:
        """Every page of a list, following resumption tokens; ``between_pages(n)`` runs after page n."""
        pages = [self.get(verb=verb, **params)]
        while True:
            token = self.token(pages[-1])
            if token is None or not (token.text or "").strip():
                return pages
            if between_pages is not None:
                between_pages(len(pages))
            pages.append(self.get(verb=verb, resumptionToken=token.text))


@pytest.fixture
def oai(client) -> Oai:
    return Oai(client)


@pytest.fixture
def catalogue(db, demo_dir) -> list[Record]:
    """30 MARC 21 records (traject test data) and 65 RUSMARC/UNIMARC records (National Library of Russia)."""
    marc_file_import(path=demo_dir / "traject-test_data.utf8.mrc")
    marc_file_import(path=demo_dir / "rusmarc-nlr-cp1251.iso", flavour="unimarc")
    return list(Record.objects.order_by("updated_at", "id"))

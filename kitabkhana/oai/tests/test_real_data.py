"""Real catalogues through the provider: Persian/Arabic MARC 21 with 880 fields, and UNIMARC."""

from __future__ import annotations

import io
import re

import pymarc
import pytest

from kitabkhana.catalogue.models import Record
from kitabkhana.catalogue.services.importing import marc_file_import
from kitabkhana.marc.writer import iso2709_to_record
from kitabkhana.oai.tests.conftest import REPOSITORY
from kitabkhana.oai.tests.oai_schema import NS

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]

DC = "{http://purl.org/dc/elements/1.1/}"
PERSIAN = re.compile("[\u0600-\u06ff]")


def test_persian_records_survive_marc21_and_oai_dc(oai, shared_data, settings):
    """Every 880 (vernacular) value of the NYU Persian file comes back in MARCXML; oai_dc carries the Persian titles."""
    settings.KITABKHANA = {**settings.KITABKHANA, "OAI_PAGE_SIZE": 100}
    job = marc_file_import(path=shared_data / "marc21-nonlatin/nyu-outsourced/nyu-persian-vendor-full.mrc")
    assert job.created > 100
    stored = {r.pk: iso2709_to_record(bytes(r.marc)) for r in Record.objects.all()}
    pages = oai.harvest("ListRecords", metadataPrefix="marc21")
    served = 0
    for page in pages:
        for record in page.iterfind(".//o:record", NS):
            pk = int(record.findtext("o:header/o:identifier", namespaces=NS).rsplit(":", 1)[1])
            from lxml import etree

            (parsed,) = pymarc.parse_xml_to_array(io.BytesIO(etree.tostring(record.find("o:metadata", NS)[0])))
            assert [f.value() for f in parsed.get_fields("880")] == [f.value() for f in stored[pk].get_fields("880")]
            served += 1
    assert served == len(stored)

    persian_titles = 0
    for pk, marc in stored.items():
        vernacular = [f for f in marc.get_fields("880") if (f.get("6") or "").startswith("245")]
        if not vernacular or not PERSIAN.search(vernacular[0].value()):
            continue
        root = oai.get(verb="GetRecord", identifier=f"oai:{REPOSITORY}:{pk}", metadataPrefix="oai_dc")
        titles = [t.text for t in root.iter(f"{DC}title")]
        assert any(PERSIAN.search(t) and t.split()[0] in vernacular[0]["a"] for t in titles), titles
        persian_titles += 1
    assert persian_titles > 50


def test_unimarc_records_served_as_unimarc_and_oai_dc(oai, shared_data):
    """A French UNIMARC file (Bibliothèque Sainte-Geneviève) comes back as MarcXchange UNIMARC and as Dublin Core."""
    marc_file_import(path=shared_data / "unimarc/bsg-cotes8.mrc", flavour="unimarc")
    records = list(Record.objects.order_by("updated_at", "id"))
    root = oai.get(verb="ListRecords", metadataPrefix="unimarc")
    elements = root.findall(".//o:metadata/{info:lc/xmlns/marcxchange-v2}record", NS)
    assert len(elements) == len(records)
    first = iso2709_to_record(bytes(records[0].marc))
    values = [sf.text for sf in elements[0].iter("{info:lc/xmlns/marcxchange-v2}subfield")]
    assert values == [sf.value for f in first.fields if not f.is_control_field() for sf in f.subfields if sf.value]
    dc = oai.get(verb="GetRecord", identifier=f"oai:{REPOSITORY}:{records[0].pk}", metadataPrefix="oai_dc")
    assert [t.text for t in dc.iter(f"{DC}title")][0] == records[0].title
    assert [t.text for t in dc.iter(f"{DC}language")] == ["fre"]

"""A real OAI-PMH client (Sickle) harvesting the live server over HTTP."""

from __future__ import annotations

import io

import pymarc
import pytest
from sickle import Sickle

from kitabkhana.catalogue.models import Record
from kitabkhana.catalogue.services.importing import marc_file_import
from kitabkhana.marc.writer import iso2709_to_record

pytestmark = pytest.mark.django_db(transaction=True)


def _fields(record: pymarc.Record) -> list[tuple]:
    return [
        (f.tag, f.data) if f.is_control_field() else (f.tag, tuple(f.indicators), tuple(f.subfields))
        for f in record.fields
    ]


def test_sickle_harvests_every_verb(live_server, settings, demo_dir):
    """Identify, ListSets, ListMetadataFormats, a paged ListRecords and GetRecord, with pymarc reading the MARCXML."""
    settings.KITABKHANA = {**settings.KITABKHANA, "OAI_PAGE_SIZE": 4}
    marc_file_import(path=demo_dir / "traject-test_data.utf8.mrc")
    stored = {f"{r.pk}": iso2709_to_record(bytes(r.marc)) for r in Record.objects.all()}
    sickle = Sickle(live_server.url + "/oai")

    identify = sickle.Identify()
    assert identify.protocolVersion == "2.0"
    assert identify.baseURL == live_server.url + "/oai"
    assert identify.deletedRecord == "persistent"

    assert "institution:NL" in [s.setSpec for s in sickle.ListSets()]
    assert {f.metadataPrefix for f in sickle.ListMetadataFormats()} == {"oai_dc", "marc21", "unimarc"}

    harvested = list(sickle.ListRecords(metadataPrefix="marc21"))
    assert len(harvested) == len(stored) == 30  # 8 pages of 4 followed by resumption tokens
    for item in harvested:
        local = item.header.identifier.rsplit(":", 1)[1]
        (parsed,) = pymarc.parse_xml_to_array(io.BytesIO(item.raw.encode("utf-8")))
        assert str(parsed.leader) == str(stored[local].leader)
        assert _fields(parsed) == _fields(stored[local])

    one = sickle.GetRecord(identifier=harvested[5].header.identifier, metadataPrefix="oai_dc")
    assert one.header.identifier == harvested[5].header.identifier
    assert one.metadata["title"]

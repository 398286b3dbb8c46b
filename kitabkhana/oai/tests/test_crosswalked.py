"""Records served in the other MARC flavour through kitabkhana.marc.crosswalk, and records it refuses."""

from __future__ import annotations

import io

import pymarc
import pytest
from lxml import etree

from kitabkhana.catalogue.models import Record
from kitabkhana.catalogue.services.records import record_update
from kitabkhana.marc.crosswalk import marc21_to_unimarc, unimarc_to_marc21
from kitabkhana.marc.writer import iso2709_to_record
from kitabkhana.oai.tests.conftest import REPOSITORY
from kitabkhana.oai.tests.oai_schema import NS

pytestmark = pytest.mark.django_db

MARCXCHANGE = "{info:lc/xmlns/marcxchange-v2}"


def _ident(record: Record) -> str:
    return f"oai:{REPOSITORY}:{record.pk}"


def test_marc21_record_as_unimarc_is_the_crosswalk_output(oai, catalogue):
    """A MARC 21 record asked for as unimarc is marc21_to_unimarc's record, field for field, in MarcXchange."""
    record = next(r for r in catalogue if r.flavour == "marc21")
    root = oai.get(verb="GetRecord", identifier=_ident(record), metadataPrefix="unimarc")
    element = root.find(".//o:metadata", NS)[0]
    assert element.tag == f"{MARCXCHANGE}record" and element.get("format") == "UNIMARC"
    expected = marc21_to_unimarc(iso2709_to_record(bytes(record.marc))).record
    tags = [f.get("tag") for f in element if f.get("tag")]
    assert tags == [f.tag for f in expected.fields]
    assert element.find(f"{MARCXCHANGE}datafield[@tag='200']/{MARCXCHANGE}subfield[@code='a']").text == (
        expected["200"]["a"]
    )


def test_unimarc_record_as_marc21_reads_back_with_pymarc(oai, catalogue):
    """A UNIMARC record asked for as marc21 is unimarc_to_marc21's record, read back by pymarc."""
    record = next(r for r in catalogue if r.flavour == "unimarc")
    root = oai.get(verb="GetRecord", identifier=_ident(record), metadataPrefix="marc21")
    (parsed,) = pymarc.parse_xml_to_array(io.BytesIO(etree.tostring(root.find(".//o:metadata", NS)[0])))
    expected = unimarc_to_marc21(iso2709_to_record(bytes(record.marc))).record
    assert parsed["245"]["a"] == expected["245"]["a"]
    assert [f.tag for f in parsed.fields] == [f.tag for f in expected.fields]


def test_lists_carry_both_flavours_in_each_format(oai, catalogue):
    """ListRecords marc21 and unimarc each hold every record (all of these crosswalk cleanly)."""
    for prefix in ("marc21", "unimarc"):
        root = oai.get(verb="ListRecords", metadataPrefix=prefix)
        assert len(root.findall(".//o:record", NS)) == len(catalogue)


def test_a_record_the_crosswalk_refuses(oai, catalogue):
    """No 245: the crosswalk cannot make a UNIMARC 200, so GetRecord says cannotDisseminateFormat, the lists
    skip the record in that format only, and ListMetadataFormats leaves unimarc out for it."""
    record = next(r for r in catalogue if r.flavour == "marc21")
    marc = iso2709_to_record(bytes(record.marc))
    marc.remove_fields("245", "880")
    record_update(record=record, marc_record=marc, expected_version=record.version)
    root = oai.get(verb="GetRecord", identifier=_ident(record), metadataPrefix="unimarc")
    assert oai.error(root) == "cannotDisseminateFormat"
    assert "245" in root.findtext("o:error", namespaces=NS)
    assert oai.error(oai.get(verb="GetRecord", identifier=_ident(record), metadataPrefix="marc21")) is None
    formats = {p.text for p in oai.get(verb="ListMetadataFormats", identifier=_ident(record)).iter(f"{{{NS['o']}}}metadataPrefix")}
    assert formats == {"oai_dc", "marc21"}
    for verb in ("ListRecords", "ListIdentifiers"):
        listed = [h.text for h in oai.get(verb=verb, metadataPrefix="unimarc").iterfind(".//o:header/o:identifier", NS)]
        assert _ident(record) not in listed and len(listed) == len(catalogue) - 1

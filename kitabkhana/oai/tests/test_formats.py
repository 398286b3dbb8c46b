"""The fast MARCXML writer of the provider against the careful one and against pymarc."""

from __future__ import annotations

import io
from pathlib import Path

import pymarc
from lxml import etree

from kitabkhana.marc.reader import read_records
from kitabkhana.marc.writer import iso2709_to_record, to_iso2709
from kitabkhana.oai import formats

DEMO = Path(__file__).resolve().parents[3] / "demo"
XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '


def _careful(data: bytes) -> str:
    parts: list[str] = []
    base = int(data[12:17])
    entries = [(data[p:p + 3].decode(), int(data[p + 3:p + 7]), int(data[p + 7:p + 12])) for p in range(24, base - 1, 12)]
    parts.append(f"<leader>{data[:24].decode()}</leader>")
    formats._careful_fields(data, base, entries, parts)
    return "".join(parts)


def _fast(data: bytes) -> str:
    parts: list[str] = []
    formats._marc_elements(data, parts)
    return "".join(parts)


def test_fast_path_writes_what_the_careful_path_writes():
    """Every demo record (Arabic, Persian, Cyrillic, Latin) gives the same elements by both paths."""
    count = 0
    for name, flavour in (("traject-test_data.utf8.mrc", "marc21"), ("aco-auc-cairo-150.mrc", "marc21"),
                          ("rusmarc-nlr-cp1251.iso", "unimarc")):
        for result in read_records(DEMO / name, flavour=flavour):
            data = to_iso2709(result.record, flavour=flavour)
            assert _fast(data) == _careful(data)
            count += 1
    assert count > 200


def test_escaping_and_forbidden_characters():
    """&, <, >, quotes and XML-forbidden control characters: escaped or U+FFFD, and pymarc reads it back."""
    record = pymarc.Record(leader="00000nam a2200000 a 4500")
    record.add_field(
        pymarc.Field(tag="001", data="id\x0bwith vertical tab"),
        pymarc.Field(tag="245", indicators=["1", "0"], subfields=[
            pymarc.Subfield("a", 'Science & "technology" <1>'), pymarc.Subfield("b", "bell\x07char")]),
    )
    data = to_iso2709(record, flavour="marc21")
    xml = formats.marcxml_record(data).replace("<record ", f"<record {XSI}", 1)
    etree.fromstring(xml.encode())  # well-formed
    (parsed,) = pymarc.parse_xml_to_array(io.BytesIO(xml.encode()))
    assert parsed["245"]["a"] == 'Science & "technology" <1>'
    assert parsed["245"]["b"] == "bell\ufffdchar"
    assert parsed["001"].data == "id\ufffdwith vertical tab"
    assert iso2709_to_record(data)["245"]["a"] == parsed["245"]["a"]

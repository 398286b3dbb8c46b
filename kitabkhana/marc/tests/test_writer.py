"""Pins the writers: UTF-8 ISO 2709 within its limits, well-formed MARCXML, MARC-in-JSON."""

from __future__ import annotations

import io
from pathlib import Path

import pymarc
import pytest
from lxml import etree

from kitabkhana.marc.errors import RecordError
from kitabkhana.marc.reader import MARCXML_NAMESPACE, read_records
from kitabkhana.marc.writer import iso2709_to_record, marcxml_collection, to_iso2709, to_json, to_marcxml

DEMO = Path(__file__).resolve().parents[3] / "demo"


def _fields(record):
    return [
        (f.tag, f.data if f.is_control_field() else (tuple(f.indicators), [tuple(s) for s in f.subfields]))
        for f in record.fields
    ]


def _record(*fields):
    record = pymarc.Record(leader="00000nam  2200000   4500")
    record.add_field(*fields)
    return record


@pytest.mark.parametrize(
    "name",
    [
        "aco-auc-cairo-150.mrc",
        "traject-test_data.utf8.mrc",
        "trln-marc-to-argot-880-fixtures.mrc",
        "rusmarc-nlr-cp1251.iso",
        "lc-convspec-880-fixtures.xml",
        "lc-marc2bibframe2-princeton.xml",
    ],
)
def test_round_trip_field_by_field(name):
    """read -> to_iso2709 -> iso2709_to_record gives the same fields, leader lengths recomputed."""
    for result in read_records(DEMO / name):
        data = to_iso2709(result.record, flavour=result.flavour)
        assert int(data[:5]) == len(data) and data.endswith(b"\x1d")
        back = iso2709_to_record(data)
        assert _fields(back) == _fields(result.record)
        leader = str(back.leader)
        if result.flavour == "marc21":
            assert leader[9] == "a" and leader[20:24] == "4500"
        else:
            assert back["100"]["a"][26:30] == "50  "
        # our own output reads back through the importer path too, untouched
        again = pymarc.Record(data, force_utf8=True)
        assert _fields(again) == _fields(result.record)


def test_oversized_field_and_record_are_refused():
    """ISO 2709 cannot hold a field over 9999 bytes or a record over 99999 bytes."""
    long_note = pymarc.Field(
        tag="500", indicators=pymarc.Indicators(" ", " "), subfields=[pymarc.Subfield("a", "x" * 10000)]
    )
    with pytest.raises(RecordError) as caught:
        to_iso2709(_record(pymarc.Field(tag="001", data="1"), long_note))
    assert caught.value.field == "500" and "9999" in caught.value.message
    notes = [
        pymarc.Field(
            tag="500", indicators=pymarc.Indicators(" ", " "), subfields=[pymarc.Subfield("a", "y" * 9000)]
        )
        for _ in range(12)
    ]
    with pytest.raises(RecordError, match="99999"):
        to_iso2709(_record(*notes))


def test_delimiters_inside_data_are_refused():
    """A value holding 0x1E would silently split the field on the next read."""
    field = pymarc.Field(
        tag="245", indicators=pymarc.Indicators("1", "0"), subfields=[pymarc.Subfield("a", "a\x1eb")]
    )
    with pytest.raises(RecordError) as caught:
        to_iso2709(_record(field))
    assert caught.value.field == "245"


def test_marcxml_is_well_formed_and_namespaced():
    """Control characters become U+FFFD; the record element is in the MARC21/slim namespace."""
    record = _record(
        pymarc.Field(tag="001", data="id\x14"),
        pymarc.Field(
            tag="245",
            indicators=pymarc.Indicators("1", "0"),
            subfields=[pymarc.Subfield("a", 'A & B < "C"\x0b')],
        ),
    )
    root = etree.fromstring(to_marcxml(record))
    assert root.tag == f"{{{MARCXML_NAMESPACE}}}record"
    ns = {"m": MARCXML_NAMESPACE}
    assert root.findtext("m:controlfield", namespaces=ns) == "id\ufffd"
    assert root.findtext("m:datafield/m:subfield", namespaces=ns) == 'A & B < "C"\ufffd'
    assert root.findtext("m:leader", namespaces=ns)[9] == "a"


def test_collection_streams_and_reads_back(tmp_path):
    """marcxml_collection writes every record; reading the file gives the same fields."""
    originals = [r.record for r in read_records(DEMO / "trln-marc-to-argot-880-fixtures.mrc")]
    path = tmp_path / "out.xml"
    with path.open("wb") as out:
        assert marcxml_collection(iter(originals), out) == len(originals)
    back = [r.record for r in read_records(path)]
    assert [_fields(r) for r in back] == [_fields(r) for r in originals]
    buffer = io.BytesIO()
    assert marcxml_collection([], buffer) == 0
    assert etree.fromstring(buffer.getvalue()).tag == f"{{{MARCXML_NAMESPACE}}}collection"


def test_json_has_pymarc_shape():
    """to_json matches pymarc's as_dict for a clean record."""
    record = next(read_records(DEMO / "traject-test_data.utf8.mrc")).record
    assert to_json(record) == record.as_dict()
    assert to_json(record)["fields"][0] == {"001": record["001"].data}


@pytest.mark.shared_data
def test_bad_characters_make_well_formed_xml(shared_data):
    """marc4j's bad-characters file: MARCXML output still parses."""
    (result,) = read_records(shared_data / "malformed/marc4j/bad-characters-in-various-fields.mrc")
    root = etree.fromstring(to_marcxml(result.record))
    assert "\ufffd" in etree.tostring(root, encoding="unicode")
    assert _fields(iso2709_to_record(to_iso2709(result.record))) == _fields(result.record)


@pytest.mark.shared_data
def test_alphanumeric_tags_round_trip(shared_data):
    """Tags like CAT survive writing and reading back."""
    (result,) = read_records(shared_data / "malformed/pymarc/alphatag.dat")
    back = iso2709_to_record(to_iso2709(result.record))
    assert _fields(back) == _fields(result.record)
    assert any(not f.tag.isdigit() for f in back.fields)

"""Export: import then export gives the input back field by field (UTF-8 policy aside)."""

from __future__ import annotations

import io
import json

import pymarc
import pytest
from django.core.management import call_command

from kitabkhana.catalogue.models import Record
from kitabkhana.catalogue.search.base import SearchRequest
from kitabkhana.catalogue.services.exporting import records_export
from kitabkhana.catalogue.services.importing import marc_file_import
from kitabkhana.catalogue.services.indexing import search_backend

pytestmark = pytest.mark.django_db


def _fields(record: pymarc.Record) -> list:
    return [(f.tag, f.data) if f.is_control_field() else (f.tag, tuple(f.indicators), tuple((s.code, s.value) for s in f.subfields))
            for f in record.fields]


def test_iso2709_round_trip_is_field_for_field(demo_dir):
    """Every field, indicator and subfield of the 19 TRLN records (CJK, Cyrillic, Arabic) comes back."""
    src = demo_dir / "trln-marc-to-argot-880-fixtures.mrc"
    marc_file_import(path=src)
    out = io.BytesIO()
    assert records_export(out=out, format="iso2709") == 19
    originals = list(pymarc.MARCReader(src.read_bytes(), to_unicode=True, force_utf8=True))
    exported = list(pymarc.MARCReader(out.getvalue(), to_unicode=True, force_utf8=True))
    assert [_fields(r) for r in exported] == [_fields(r) for r in originals]


def test_marcxml_and_json_exports_parse_back(demo_dir):
    """MARCXML export is a valid MARC21-slim collection; JSON export is a list of MARC-in-JSON records."""
    marc_file_import(path=demo_dir / "traject-test_data.utf8.mrc")
    xml = io.BytesIO()
    records_export(out=xml, format="marcxml")
    assert len(pymarc.parse_xml_to_array(io.BytesIO(xml.getvalue()))) == 30
    js = io.BytesIO()
    records_export(out=js, format="json")
    data = json.loads(js.getvalue())
    assert len(data) == 30 and "leader" in data[0] and "fields" in data[0]


def test_export_command_with_query(demo_dir, tmp_path):
    """`export-marc --query` writes only the records the search finds."""
    marc_file_import(path=demo_dir / "rusmarc-nlr-cp1251.iso")
    marc_file_import(path=demo_dir / "traject-test_data.utf8.mrc")
    out = tmp_path / "out.mrc"
    call_command("export-marc", str(out), "--query", "language:rus", stderr=io.StringIO())
    records = list(pymarc.MARCReader(out.read_bytes(), to_unicode=True, force_utf8=True))
    russian = search_backend().search(SearchRequest(filters={"language": ["rus"]}, kind=None)).total
    assert 65 < len(records) == russian < Record.objects.count()

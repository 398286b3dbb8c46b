"""Pins the streaming reader: formats, bad records reported in place, resume, entity attacks."""

from __future__ import annotations

import inspect
import tracemalloc
from pathlib import Path

import pytest

from kitabkhana.marc.errors import FileFormatError, RecordError
from kitabkhana.marc.reader import detect_flavour, detect_format, read_records
from kitabkhana.marc.writer import to_iso2709

DEMO = Path(__file__).resolve().parents[3] / "demo"


def _all(path, **kwargs):
    return list(read_records(path, **kwargs))


def test_record_error_names_what_is_known():
    """The message reads "file, record N (byte B), field T: message"."""
    error = RecordError("bad", source="bad.mrc", record_number=19, offset=65012, field="245")
    assert str(error) == "bad.mrc, record 19 (byte 65012), field 245: bad"
    assert str(RecordError("bad", field="100")) == "field 100: bad"


def test_detect_format():
    """Leading BOM/whitespace is ignored; empty or unknown input is a FileFormatError."""
    assert detect_format(b"\xef\xbb\xbf  <?xml version='1.0'?><collection/>") == "marcxml"
    assert detect_format(b"\n00714cam a2200205 a 4500") == "iso2709"
    for head in (b"", b"  \n", b"%PDF-1.4", b"12ab5"):
        with pytest.raises(FileFormatError):
            detect_format(head)


def test_empty_and_foreign_files_are_file_format_errors(tmp_path):
    """An empty file, a PDF and non-MARCXML XML name the file (and the root element found)."""
    empty = tmp_path / "empty.mrc"
    empty.write_bytes(b"")
    with pytest.raises(FileFormatError, match="empty.mrc"):
        _all(empty)
    html = tmp_path / "page.xml"
    html.write_bytes(b"<?xml version='1.0'?><html><body>hi</body></html>")
    with pytest.raises(FileFormatError, match=r"page\.xml.*<html>"):
        _all(html)


@pytest.mark.parametrize(
    "doctype",
    [
        # "billion laughs": each entity expands to ten of the previous one
        '<!DOCTYPE lolz [<!ENTITY lol0 "lol">'
        + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
        + "]>",
        '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    ],
)
def test_entity_declarations_are_refused(tmp_path, doctype):
    """Any DOCTYPE (billion laughs, external entities) is refused before parsing expands it."""
    path = tmp_path / "attack.xml"
    body = '<collection xmlns="http://www.loc.gov/MARC21/slim"><record><leader>&lol9;</leader></record></collection>'
    path.write_text(f'<?xml version="1.0"?>\n{doctype}\n{body}', encoding="utf-8")
    with pytest.raises(FileFormatError) as caught:
        _all(path)
    assert "entities" in str(caught.value) and "DOCTYPE" in str(caught.value)


def test_read_records_is_a_streaming_generator(tmp_path):
    """50 concatenated copies of a file read back record for record, in flat memory."""
    source = (DEMO / "traject-test_data.utf8.mrc").read_bytes()
    path = tmp_path / "big.mrc"
    with path.open("wb") as out:
        for _ in range(50):
            out.write(source)
    results = read_records(path)
    assert inspect.isgenerator(results)
    tracemalloc.start()
    count = 0
    last = None
    for result in results:
        assert result.error is None
        count += 1
        assert last is None or result.offset == last.offset + last.length
        last = result
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == 30 * 50
    assert last.offset + last.length == path.stat().st_size
    assert peak < 4 * 1024 * 1024, peak  # far below the file size: one record at a time


def test_resume_from_offset_yields_the_rest_without_duplicates():
    """start_offset/start_number (from offset+length) continue exactly after the stored record."""
    path = DEMO / "aco-auc-cairo-150.mrc"
    full = _all(path)
    assert len(full) == 150 and all(r.error is None for r in full)
    stop = full[41]
    rest = _all(path, start_offset=stop.offset + stop.length, start_number=stop.number + 1)
    assert [(r.number, r.offset, r.record["001"].data) for r in rest] == [
        (r.number, r.offset, r.record["001"].data) for r in full[42:]
    ]


def test_marcxml_resume_by_number():
    """MARCXML resumes by record number: earlier records are skipped, not yielded."""
    path = DEMO / "lc-marc2bibframe2-princeton.xml"
    full = _all(path)
    assert len(full) == 99
    rest = _all(path, start_number=60)
    assert [r.number for r in rest] == list(range(60, 100))
    assert [r.record["001"].data for r in rest] == [r.record["001"].data for r in full[59:]]


def test_demo_files_read_cleanly():
    """Every demo file reads without errors, with the expected count and flavour."""
    expected = {
        "aco-auc-cairo-150.mrc": (150, "marc21"),
        "traject-test_data.utf8.mrc": (30, "marc21"),
        "trln-marc-to-argot-880-fixtures.mrc": (19, "marc21"),
        "rusmarc-nlr-cp1251.iso": (65, "unimarc"),
        "lc-marc2bibframe2-princeton.xml": (99, "marc21"),
        "lc-marc2bibframe2-british_library.xml": (99, "marc21"),
        "lc-convspec-880-fixtures.xml": (13, "marc21"),
    }
    for name, (count, flavour) in expected.items():
        results = _all(DEMO / name, name=name)
        assert len(results) == count, name
        assert all(r.error is None and r.flavour == flavour for r in results), name
        assert all(str(r.record.leader)[9] == "a" for r in results if flavour == "marc21")


def test_detect_flavour():
    """UNIMARC needs 200 with subfields and 100$a/801 and no 245."""
    unimarc = next(read_records(DEMO / "rusmarc-nlr-cp1251.iso")).record
    marc21 = next(read_records(DEMO / "traject-test_data.utf8.mrc")).record
    assert detect_flavour(unimarc) == "unimarc"
    assert detect_flavour(marc21) == "marc21"


def test_garbage_between_records_is_reported_and_skipped(tmp_path):
    """Non-MARC bytes between records become one error result; the next record still reads."""
    data = (DEMO / "traject-test_data.utf8.mrc").read_bytes()
    first_length = int(data[:5])
    path = tmp_path / "mixed.mrc"
    path.write_bytes(data[:first_length] + b"GARBAGE!!\x1d" + data[first_length:])
    results = _all(path, name="mixed.mrc")
    assert len(results) == 31
    assert results[1].error is not None and "not numeric" in results[1].error.message
    assert str(results[1].error).startswith(f"mixed.mrc, record 2 (byte {first_length})")
    assert results[2].record is not None and results[2].number == 3


# --------------------------------------------------------------------------- shared data


@pytest.mark.shared_data
def test_truncated_file_reads_18_then_reports_19(shared_data):
    """A file cut at 64 KiB: 18 records, then a truncated error on record 19, then the end."""
    results = _all(shared_data / "malformed/marc4j/008008027-truncated-at-64KiB.mrc")
    assert [r.error is None for r in results] == [True] * 18 + [False]
    assert results[-1].number == 19 and "truncated" in results[-1].error.message


@pytest.mark.shared_data
def test_bad_records_are_reported_in_place(shared_data):
    """pymarc's bad_records.mrc: records 2-7 are errors, 1 and 8 read, reading goes on."""
    results = _all(shared_data / "malformed/pymarc/bad_records.mrc", name="bad_records.mrc")
    assert [r.record is not None for r in results] == [True] + [False] * 6 + [True]
    assert results[0].record["245"]["a"].startswith("The pragmatic programmer")
    assert "base address" in results[1].error.message
    assert "base address" in results[5].error.message and "f0037" in results[5].error.message
    assert "no fields" in results[6].error.message
    assert all(r.error.source == "bad_records.mrc" for r in results[1:7])


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "good", "bad_numbers"),
    [
        ("malformed/marc4j/bad_hathi_records.mrc", 4, [4]),
        ("malformed/marc4j/bad_oversize_field_bad_directory.mrc", 4, [2]),
        ("malformed/marc4j/datos-20161010-slice.mrc", 0, [1]),
        ("malformed/perl/cameleof.usmarc", 10, []),
        ("malformed/marc4j/unordered-directory-entries.mrc", 1, []),
        ("malformed/marc4j/error.mrc", 1, []),
        ("malformed/pymarc/alphatag.dat", 1, []),
        ("malformed/ruby-marc/random_tag_order.dat", 1, []),
        ("malformed/traject/emptyish_record.marc", 1, []),
    ],
)
def test_malformed_iso2709(shared_data, name, good, bad_numbers):
    """Each bad record is one error result naming its number; the good ones still read."""
    results = _all(shared_data / name)
    assert sum(1 for r in results if r.record is not None) == good
    assert [r.number for r in results if r.error is not None] == bad_numbers
    assert [r.number for r in results] == list(range(1, len(results) + 1))
    for first, second in zip(results, results[1:], strict=False):
        assert second.offset >= first.offset + first.length  # never the same bytes twice


@pytest.mark.shared_data
def test_leader_length_that_lies_is_resynchronised(shared_data):
    """bad_too_long_plus_2: an over-long first record does not hide 360945 and 360946."""
    results = _all(shared_data / "malformed/marc4j/bad_too_long_plus_2.mrc")
    ids = [r.record["001"].data for r in results if r.record is not None]
    assert ids[-2:] == ["360945", "360946"]
    assert any("length ignored" in w for w in results[0].warnings)


@pytest.mark.shared_data
def test_tags_and_fields_kept_as_read(shared_data):
    """Alphanumeric tags are legal; fields stay in file order; the recovered 245 of bad_indicator."""
    record = _all(shared_data / "malformed/ruby-marc/non-numeric.dat")[0].record
    assert record["ISB"]["a"] == "9780061317842" and record["LOC"]["9"] == "1"
    record = _all(shared_data / "malformed/pymarc/bad_indicator.dat")[0].record
    assert record["245"]["a"] == "Aristocrats of color :"
    record = _all(shared_data / "malformed/pymarc/bad_subfield_code.dat")[0].record
    assert record["245"]["a"] == "ActivePerl with ASP and ADO /"
    tags = [f.tag for f in _all(shared_data / "malformed/ruby-marc/random_tag_order.dat")[0].record.fields]
    assert tags != sorted(tags) and sorted(tags) == sorted(
        "001 005 007 008 010 028 035 040 050 245 260 300 500 505 511 650 700 906 953 991".split()
    )


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "records", "line"),
    [
        ("malformed/evergreen/serials_marc21.xml", 1, 117),
        ("malformed/ruby-marc/three-records-second-bad.xml", 1, 72),
    ],
)
def test_not_well_formed_xml_stops_with_an_error(shared_data, name, records, line):
    """Good records before the fault are kept; then one error result with the line number."""
    results = _all(shared_data / name)
    assert sum(1 for r in results if r.record is not None) == records
    assert results[-1].error is not None and f"line {line}" in results[-1].error.message
    assert results[-1].number == records + 1


@pytest.mark.shared_data
def test_marcxml_oddities(shared_data):
    """Missing tags/codes/indicators are warnings, not lost records; tag '42' is '042'."""
    base = shared_data / "malformed"
    cases = {
        "marc4j/chabon-missing-controlfield-tag.xml": "controlfield without a tag",
        "marc4j/chabon-missing-datafield-tag.xml": "datafield without a tag",
        "marc4j/chabon-missing-subfield-code.xml": "subfield without a code",
        "marc4j/chabon-bad-subfields-element.xml": "unexpected element <subfields>",
        "marc4j/cruel-cruel-indicatorless-summerland.xml": "ind1",
    }
    for name, warning in cases.items():
        (result,) = _all(base / name)
        assert result.record is not None, name
        assert any(warning in w for w in result.warnings), (name, result.warnings)
    assert str(_all(base / "ruby-marc/no-leading-zero.xml")[0].record["042"]) == "=042  zz$adc"
    assert str(_all(base / "ruby-marc/messed_up_leader.xml")[0].record.leader) == "01301nam a22003618< 4500"
    assert len(_all(base / "evergreen/badisbns.xml")) == 10
    assert len(_all(base / "pymarc/bad_tag.xml")) == 1
    assert _all(base / "ruby-marc/non-numeric.xml")[0].record["ISB"]["a"] == "9780061317842"


@pytest.mark.shared_data
def test_non_marcxml_xml_is_refused(shared_data):
    """The RUSMARC format description is XML but not records: FileFormatError naming <FORMAT>."""
    with pytest.raises(FileFormatError, match="FORMAT"):
        _all(shared_data / "unimarc/reference/RUSMARC20151123-format.xml")


@pytest.mark.shared_data
def test_pride_and_prejudice_reading_never_stops(shared_data):
    """Many broken records: each is one result; every record terminator is accounted for."""
    path = shared_data / "malformed/marc4j/pride-and-prejudice-with-many-errors.mrc"
    results = _all(path)
    assert len(results) == path.read_bytes().count(b"\x1d")
    assert sum(1 for r in results if r.record is not None) >= 367


def test_reusable_bytes_are_exactly_what_the_writer_would_store():
    """Clean UTF-8 records come with storable bytes, byte-equal to serialising the decoded record."""
    reused = 0
    for name in ("traject-test_data.utf8.mrc", "trln-marc-to-argot-880-fixtures.mrc"):
        for result in read_records(DEMO / name):
            assert result.utf8_iso2709 is not None, (name, result.number)
            assert to_iso2709(result.record) == result.utf8_iso2709
            reused += 1
    assert reused == 49
    # Converted from Windows-1251: nothing to reuse, the record is serialised afresh.
    assert all(r.utf8_iso2709 is None for r in read_records(DEMO / "rusmarc-nlr-cp1251.iso"))

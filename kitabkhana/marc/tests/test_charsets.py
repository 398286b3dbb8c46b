"""Pins character-set detection: the bytes decide, the record is told what it now is."""

from __future__ import annotations

import html
import unicodedata
from pathlib import Path

import pymarc
import pytest

from kitabkhana.marc.charsets import decode_iso2709, marc8_decode
from kitabkhana.marc.errors import RecordError
from kitabkhana.marc.reader import read_records

DEMO = Path(__file__).resolve().parents[3] / "demo"


def _records(path):
    return list(read_records(path))


def _values(record, *, unescape=False):
    def text(value):
        # Compared composed: the UTF-8 twin is kept as written, MARC-8 conversion is composed.
        return unicodedata.normalize("NFC", html.unescape(value) if unescape else value)

    return [
        (f.tag, text(f.data) if f.is_control_field() else [(s.code, text(s.value)) for s in f.subfields])
        for f in record.fields
    ]


def test_rusmarc_cp1251_demo():
    """UNIMARC declaring WIN 1251 ('89' in 100$a/28-29) decodes and is relabelled '50  '."""
    results = _records(DEMO / "rusmarc-nlr-cp1251.iso")
    assert {r.encoding for r in results} == {"cp1251"}
    titles = [r.record["200"]["a"] for r in results]
    assert "Почему погиб социализм" in titles and "Светильник Сибири" in titles
    assert all(r.record["100"]["a"][26:30] == "50  " for r in results)


def test_structural_errors_name_the_field():
    """A directory entry that is not numeric is a RecordError naming its tag."""
    good = (DEMO / "traject-test_data.utf8.mrc").read_bytes()
    length = int(good[:5])
    record = bytearray(good[:length])
    record[24 + 3 : 24 + 7] = b"00x1"
    with pytest.raises(RecordError) as caught:
        decode_iso2709(bytes(record), None)
    assert caught.value.field == "001"
    with pytest.raises(RecordError, match="terminator"):
        decode_iso2709(good[: length - 1], None)
    with pytest.raises(RecordError, match="not numeric"):
        decode_iso2709(b"abcde" + good[5:length], None)


def test_utf8_with_blank_leader_is_utf8_and_kept_as_written():
    """UTF-8 bytes under a blank leader/09 read as UTF-8, text unchanged, leader/09 set to 'a'."""
    data = (DEMO / "traject-test_data.utf8.mrc").read_bytes()
    length = int(data[:5])
    raw = data[:9] + b" " + data[10:length]
    record, encoding, warnings = decode_iso2709(raw, None)
    assert encoding == "utf-8" and str(record.leader)[9] == "a"
    assert any("leader/09" in w for w in warnings)
    reference = pymarc.Record(data[:length], force_utf8=True)
    assert [str(f) for f in record.fields] == [str(f) for f in reference.fields]


# --------------------------------------------------------------------------- shared data


@pytest.mark.shared_data
def test_utf8_without_leader_flag(shared_data):
    """pymarc's utf8_without_leader_flag: accents kept as written (NFD in this file)."""
    (result,) = _records(shared_data / "encoding/pymarc/utf8_without_leader_flag.dat")
    assert result.encoding == "utf-8"
    assert unicodedata.normalize("NFC", result.record["240"]["a"]) == "De la solitude \u00e0 la communaut\u00e9."
    (flagged,) = _records(shared_data / "encoding/pymarc/utf8_with_leader_flag.dat")
    assert flagged.record["240"]["a"] == result.record["240"]["a"]


@pytest.mark.shared_data
def test_marc8_under_a_utf8_leader(shared_data):
    """leader/09 'a' over MARC-8 bytes: read as MARC-8, with a warning that the leader lied."""
    (result,) = _records(shared_data / "encoding/ruby-marc/marc8_accented_chars.marc")
    assert result.encoding == "marc-8"
    assert result.record["100"]["a"] == "Serreau, Genevi\u00e8ve."
    assert any("leader/09 says UTF-8" in w for w in result.warnings)
    assert str(result.record.leader)[9] == "a"


@pytest.mark.shared_data
def test_marc8_files_match_their_utf8_twins(shared_data):
    """MARC-8 and UTF-8 serialisations of the same records decode to the same text."""
    enc = shared_data / "encoding"
    pairs = [
        ("marc4j/brkrtest.mrc", "marc4j/brkrtest_UTF8.mrc", set()),
        ("xbib/chabon-loc.mrc", "xbib/chabon-loc.mrc.utf8.xml", set()),
        # xbib's expected XML drops the EACC/Arabic 880 $a of records 2-4; the rest must match.
        ("xbib/IRMARC8.bin", "xbib/IRMARC8.bin.expected.xml", {1, 2, 3}),
    ]
    for marc8_name, utf8_name, skip in pairs:
        marc8 = _records(enc / marc8_name)
        utf8 = _records(enc / utf8_name)
        assert len(marc8) == len(utf8)
        for index, (left, right) in enumerate(zip(marc8, utf8, strict=True)):
            if index not in skip:
                assert _values(left.record) == _values(right.record, unescape=True), (marc8_name, index)


@pytest.mark.shared_data
def test_marc8_decoder_against_pymarc_lines(shared_data):
    """pymarc's test_marc8.txt lines decode to test_utf8.txt (NFC on both sides)."""
    marc8_lines = (shared_data / "encoding/pymarc/test_marc8.txt").read_bytes().split(b"\n")
    utf8_lines = (shared_data / "encoding/pymarc/test_utf8.txt").read_text(encoding="utf-8").split("\n")
    mismatches = 0
    for raw, expected in zip(marc8_lines, utf8_lines, strict=False):
        problems: list[str] = []
        got = unicodedata.normalize("NFC", marc8_decode(raw.rstrip(b"\r"), problems))
        mismatches += got != unicodedata.normalize("NFC", expected.rstrip("\r"))
    assert mismatches == 0


@pytest.mark.shared_data
def test_windows_1251_in_marc21(shared_data):
    """pymarc's 1251.dat: Cyrillic in a MARC 21 record found by letter frequency."""
    results = _records(shared_data / "encoding/pymarc/1251.dat")
    assert {r.encoding for r in results} == {"cp1251"}
    assert results[0].record["245"]["a"] == "Основы гидравлического расчета инженерных сетей"
    assert results[1].record["245"]["a"] == "Психологический тренинг с подростками"


@pytest.mark.shared_data
def test_cp866_unimarc(shared_data):
    """ruby-marc's CP866 files (leader length off by one) read; 001 starts with Cyrillic 'Н'."""
    (single,) = _records(shared_data / "unimarc/ruby-marc-cp866_unimarc.marc")
    assert single.encoding == "cp866" and single.record["001"].data.startswith("Н")
    multi = _records(shared_data / "unimarc/ruby-marc-cp866_multirecord.marc")
    assert [r.record["001"].data for r in multi] == ["Никитенко Е. А."] * 2
    assert [r.offset for r in multi] == [0, 1166]


@pytest.mark.shared_data
def test_unimarc_utf8_declaring_other_sets(shared_data):
    """UTF-8 UNIMARC whose 100$a says ISO 646/5426 is UTF-8; 100$a/26-29 becomes '50  '."""
    results = _records(shared_data / "unimarc/periouni.mrc")
    assert len(results) == 2449
    assert {r.encoding for r in results} == {"utf-8"} and {r.flavour for r in results} == {"unimarc"}
    assert all(r.record["100"]["a"][26:30] == "50  " for r in results if r.record.get("100"))
    (record,) = _records(shared_data / "unimarc/pymarc-testunimarc.dat")
    assert record.record.get("899") is not None and record.record.get("702") is not None
    (ukrainian,) = _records(shared_data / "unimarc/rusmarc-ukr-uni-slim.xml")
    assert ukrainian.flavour == "unimarc"
    assert any("\u0400" <= c <= "\u04ff" for c in ukrainian.record["200"]["a"])


@pytest.mark.shared_data
def test_bad_utf8_is_replaced_and_named(shared_data):
    """Bad bytes in UTF-8 records become U+FFFD with a warning naming the field."""
    base = shared_data / "malformed"
    (result,) = _records(base / "traject/bad_utf_byte.utf8.marc")
    assert "\ufffd" in result.record["300"]["a"]
    assert any(w.startswith("field 300:") and "U+FFFD" in w for w in result.warnings)
    (result,) = _records(base / "ruby-marc/utf8_with_bad_bytes.marc")
    assert result.encoding == "utf-8" and any("U+FFFD" in w for w in result.warnings)
    for result in _records(base / "marc4j/not_unimarc_errors_3.mrc"):
        assert any("not valid UTF-8" in w for w in result.warnings)


@pytest.mark.shared_data
def test_marc8_oddities(shared_data):
    """Escaped references, stray escapes and incomplete escapes: text kept, problems reported."""
    (result,) = _records(shared_data / "encoding/ruby-marc/escaped_character_reference.marc8.marc")
    assert result.record["260"]["a"] == "Rio de Janeiro escaped replacement char: \ufffd ."
    (result,) = _records(shared_data / "malformed/pymarc/bad_marc8_escape.dat")
    assert result.record["260"]["b"] == "La Soci\u00e9t,"
    assert any("escape" in w for w in result.warnings)
    (result,) = _records(shared_data / "malformed/marc4j/incomplete_esc_seq.mrc")
    assert result.record["001"].data == "ocn436459302"
    assert any(w.startswith("field 880:") for w in result.warnings)
    first, second = _records(shared_data / "malformed/marc4j/loongboonmee.mrc")
    assert first.record["880"]["a"] == second.record["880"]["a"] == "ลุงบุญมีระลึกชาติ."
    (result,) = _records(shared_data / "malformed/traject/bad_subfield_code.marc")
    assert result.encoding == "marc-8" and result.record["245"]["a"] == "Les corps \u00e9trangers, roman."

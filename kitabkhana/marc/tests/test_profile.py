"""The national profile as data: loading, and what ``validate`` reports for real and broken records,
and how ``ProfileReport`` counts problems across an import."""

from __future__ import annotations

import json
from pathlib import Path

import pymarc
import pytest

from kitabkhana.marc.profile import (
    PROFILE_DIR,
    ProfileReport,
    ValidationMessage,
    load_profile,
    profile_report,
    validate,
)

DEMO = Path(__file__).resolve().parents[3] / "demo"


def _iso(name: str, **kwargs) -> list[pymarc.Record]:
    with open(DEMO / name, "rb") as fh:
        return [r for r in pymarc.MARCReader(fh, to_unicode=True, force_utf8=False, **kwargs) if r]


def _codes(messages: list[ValidationMessage]) -> list[tuple[str, str, str]]:
    return [(m.severity, m.tag, m.code) for m in messages]


@pytest.mark.parametrize("flavour", ["marc21", "unimarc"])
@pytest.mark.parametrize("kind", ["bibliographic", "authority"])
def test_profiles_load_and_are_cached(flavour, kind):
    """Each of the four JSON files loads, is cached, and names itself after its flavour and kind."""
    profile = load_profile(flavour, kind)
    assert load_profile(flavour, kind) is profile
    assert (profile.flavour, profile.kind, profile.name) == (flavour, kind, f"{flavour}-{kind}")
    assert profile.fields and profile.required


def test_profile_files_cover_the_common_tags():
    """The tags the brief lists are all defined, with indicator and subfield rules for data fields."""
    wanted = {
        "marc21-bibliographic": "001 003 005 007 008 010 015 016 020 022 024 035 040 041 043 050 082 084 100 110 111 "
        "130 240 242 245 246 250 260 264 300 336 337 338 490 500 504 505 520 546 600 610 611 630 650 651 655 700 "
        "710 711 730 740 776 800 830 856 880",
        "marc21-authority": "001 003 005 008 040 100 110 111 130 150 151 155 400 410 411 430 450 451 500 510 511 530 "
        "550 551 670 675 680",
        "unimarc-bibliographic": "001 003 005 010 011 020 021 100 101 102 105 106 200 205 210 214 215 225 300 320 327 "
        "330 410 461 600 601 606 607 608 610 675 676 680 686 700 701 702 710 711 712 801 856 899",
        "unimarc-authority": "001 100 152 200 210 215 250 400 410 500 510 801 810",
    }
    for name, tags in wanted.items():
        data = json.loads((PROFILE_DIR / f"{name}.json").read_text(encoding="utf-8"))
        assert set(tags.split()) <= set(data["fields"]), name
    bib = load_profile("marc21", "bibliographic").fields["245"]
    assert bib.indicators[0] == frozenset("01") and not bib.repeatable and bib.required_subfields == ("a",)
    assert "c" in bib.non_repeatable and "k" not in bib.non_repeatable


def test_unknown_flavour_or_kind_is_refused():
    with pytest.raises(ValueError):
        load_profile("marcxml", "bibliographic")
    with pytest.raises(ValueError):
        load_profile("marc21", "holdings")


def test_real_arabic_record_conforms():
    """AUC Cairo b1083459x (MARC-8, 880s, local 9XX fields) has nothing to report."""
    record = _iso("aco-auc-cairo-150.mrc")[0]
    assert validate(record, load_profile("marc21", "bibliographic")) == []


def test_rusmarc_records_have_no_errors():
    """The 65 NLR RUSMARC records pass the UNIMARC profile without errors (embedded 4XX fields included)."""
    profile = load_profile("unimarc", "bibliographic")
    report = profile_report(validate(r, profile) for r in _iso("rusmarc-nlr-cp1251.iso", file_encoding="cp1251"))
    assert report["records_checked"] == 65 and report["records_with_errors"] == 0


def _broken() -> pymarc.Record:
    """The Cairo record, damaged the ways cataloguers and converters damage records."""
    record = _iso("aco-auc-cairo-150.mrc")[0]
    record.leader = str(record.leader)[:23]
    record.remove_fields("008")
    record["245"].indicators = pymarc.Indicators("7", "0")
    record.add_ordered_field(pymarc.Field(tag="245", indicators=pymarc.Indicators("1", "0"),
                                          subfields=[pymarc.Subfield("b", "second title"),
                                                     pymarc.Subfield("c", "x"), pymarc.Subfield("c", "y")]))
    record.add_ordered_field(pymarc.Field(tag="300", indicators=pymarc.Indicators(" ", " "),
                                          subfields=[pymarc.Subfield("k", "bad")]))
    record.add_ordered_field(pymarc.Field(tag="123", indicators=pymarc.Indicators(" ", " "),
                                          subfields=[pymarc.Subfield("a", "unknown")]))
    record.add_ordered_field(pymarc.Field(tag="599", indicators=pymarc.Indicators(" ", " "),
                                          subfields=[pymarc.Subfield("a", "local note")]))
    record.add_ordered_field(pymarc.Field(tag="020", indicators=pymarc.Indicators(" ", " "),
                                          subfields=[pymarc.Subfield("a", "1234567890 (pbk.)")]))
    return record


def test_broken_record_messages():
    """Each kind of damage gives one message with its machine code, severity, tag and occurrence."""
    found = validate(_broken(), load_profile("marc21", "bibliographic"))
    by_code = {m.code: m for m in found}
    assert by_code["leader"].tag == "LDR" and by_code["leader"].severity == "error"
    ind = by_code["invalid-indicator"]
    assert (ind.tag, ind.occurrence, ind.message) == ("245", 1, "245: indicator 1 is '7'; allowed: 0, 1")
    assert (by_code["not-repeatable"].tag, by_code["not-repeatable"].occurrence) == ("245", 2)
    assert ("error", "245", "required-subfield-missing") in _codes(found)
    assert by_code["subfield-not-repeatable"].message == "245: subfield $c is not repeatable"
    assert by_code["invalid-subfield"].tag == "300" and "$k" in by_code["invalid-subfield"].message
    assert by_code["required-field-missing"].tag == "008"
    assert by_code["unknown-tag"].severity == "warning" and by_code["unknown-tag"].tag == "123"
    assert by_code["invalid-isbn"].severity == "warning"
    assert by_code["invalid-isbn"].message == "020 $a 1234567890 (pbk.): invalid checksum"
    assert not any(m.tag in ("599", "907", "998", "945") for m in found)  # local fields pass silently


def test_008_length_is_checked():
    record = _iso("aco-auc-cairo-150.mrc")[0]
    record["008"].data = record["008"].data[:38]
    found = validate(record, load_profile("marc21", "bibliographic"))
    assert [(m.code, m.message) for m in found] == [("invalid-length", "008: length is 38; expected 40")]


def test_report_counts_generic_problems():
    """Problems are counted across records by their generic text, most frequent first."""
    profile = load_profile("marc21", "bibliographic")
    good = _iso("aco-auc-cairo-150.mrc")[:3]
    lists = [validate(r, profile) for r in good] + [validate(_broken(), profile), validate(_broken(), profile)]
    report = profile_report(lists)
    assert report["records_checked"] == 5
    assert report["records_with_errors"] == 2 and report["records_with_warnings"] == 2
    counts = [p["count"] for p in report["problems"]]
    assert counts == sorted(counts, reverse=True)
    indicator = next(p for p in report["problems"] if p["code"] == "invalid-indicator")
    assert indicator == {"severity": "error", "tag": "245", "code": "invalid-indicator",
                         "message": "245: indicator 1 not one of 0, 1", "count": 2}
    incremental = ProfileReport()
    for messages in lists:
        incremental.add(messages)
    assert incremental.as_dict() == report


@pytest.mark.shared_data
def test_bad_isbns_are_flagged(shared_data):
    """Evergreen badisbns.xml: the one bad 020 $a (8901452100503) is flagged; $z values are not checked."""
    profile = load_profile("marc21", "bibliographic")
    records = pymarc.parse_xml_to_array(str(shared_data / "malformed/evergreen/badisbns.xml"))
    flagged = [m for r in records for m in validate(r, profile) if m.code == "invalid-isbn"]
    assert [m.message for m in flagged] == ["020 $a 8901452100503: invalid component"]


@pytest.mark.shared_data
def test_authority_records(shared_data):
    """LC subject authority 'Dogs' conforms; IISG's local 103/403/503 tags are missing 1XX and unknown tags."""
    profile = load_profile("marc21", "authority")
    with open(shared_data / "authority/evergreen-authority-record.mrc", "rb") as fh:
        record = next(iter(pymarc.MARCReader(fh, to_unicode=True, force_utf8=False)))
    assert validate(record, profile) == []
    with open(shared_data / "authority/evergreen-iisg-auth-1066.mrc", "rb") as fh:
        records = [r for r in pymarc.MARCReader(fh, to_unicode=True, force_utf8=False) if r]
    report = profile_report(validate(r, profile) for r in records)
    top = {(p["tag"], p["code"]) for p in report["problems"][:3]}
    assert ("1XX", "required-field-missing") in top and ("103", "unknown-tag") in top

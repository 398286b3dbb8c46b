"""What ``summarise`` derives from real records: titles with their 880 originals, names, dates,
identifiers, scripts and the display lines, for MARC 21 (MARC-8 and UTF-8), UNIMARC and authorities."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pymarc
import pytest

from kitabkhana.marc.derive import DisplayField, RecordSummary, summarise

DEMO = Path(__file__).resolve().parents[3] / "demo"


def _iso(name: str, **kwargs) -> list[pymarc.Record]:
    with open(DEMO / name, "rb") as fh:
        return [r for r in pymarc.MARCReader(fh, to_unicode=True, force_utf8=False, **kwargs) if r]


@pytest.fixture(scope="module")
def cairo() -> list[pymarc.Record]:
    return _iso("aco-auc-cairo-150.mrc")


@pytest.fixture(scope="module")
def trln() -> list[pymarc.Record]:
    with open(DEMO / "trln-marc-to-argot-880-fixtures.mrc", "rb") as fh:
        return [r for r in pymarc.MARCReader(fh, to_unicode=True, force_utf8=True) if r]


@pytest.fixture(scope="module")
def rusmarc() -> list[pymarc.Record]:
    return _iso("rusmarc-nlr-cp1251.iso", file_encoding="cp1251")


@pytest.fixture(scope="module")
def convspec() -> list[pymarc.Record]:
    return pymarc.parse_xml_to_array(str(DEMO / "lc-convspec-880-fixtures.xml"))


def nfc(text: str) -> str:
    # MARC-8 decoding yields decomposed diacritics; compare what a reader sees.
    return unicodedata.normalize("NFC", text)


def test_arabic_880_pairs_with_romanised_title_and_names(cairo):
    """AUC Cairo b1083459x: 245 $6 880-02 pairs with the Arabic 880; display lines carry both, right to left."""
    s = summarise(cairo[0], "marc21")
    assert isinstance(s, RecordSummary)
    assert s.kind == "bibliographic" and s.material_type == "book"
    assert nfc(s.title) == "Niẓām al-Atīnīyīn"
    assert s.title_original == "نظام الأتينيين"
    assert s.authors[:2] == ["Aristotle", "أرسططاليس"]
    # Bidi marks around the Arabic comma are dropped, so the name indexes cleanly.
    # The 880 wraps the date in a left-to-right embedding; it is kept for right-to-left display.
    assert "حسين، طه،\u202a 1889-1973" in s.authors
    assert "نظام الأثينيين" in s.titles and "Niẓām al-Athīnīyīn" in map(nfc, s.titles)
    assert s.control_number == "b1083459x" and s.control_agency == "UaCaAUL"
    assert s.languages == ["ara"] and s.year == 1921
    assert s.date_text == "1339, 1921" and nfc(s.place) == "Miṣr"
    assert nfc(s.publisher) == "Lajnat al-Taʼlīf wa-al-Tarjamah wa-al-Nashr"
    assert "(OCoLC)122896466" in s.other_numbers
    assert s.script_codes == ["Latn", "Arab"]
    title = s.display[0]
    assert isinstance(title, DisplayField)
    assert (title.label, title.tag, title.direction) == ("Title", "245", "rtl")
    assert title.original.startswith("نظام الأتينيين /")
    assert s.subjects[-1] == "Athens (Greece) -- Politics and government"


def test_display_follows_catalogue_order(cairo):
    """Title, then names, edition, imprint, extent, series, notes, subjects, identifiers, language."""
    order = ["Title", "Uniform title", "Other titles", "Author", "Other authors", "Edition", "Published",
             "Physical description", "Series", "Notes", "Contents", "Summary", "Subjects", "ISBN", "ISSN", "Language"]
    rank = {label: i for i, label in enumerate(order)}
    group = {"Contents": "Notes", "Summary": "Notes"}
    for record in cairo[:40]:
        labels = [group.get(d.label, d.label) for d in summarise(record, "marc21").display]
        ranks = [rank[label] for label in labels]
        assert ranks == sorted(ranks), labels


def test_cyrillic_880_isbn10_becomes_isbn13(trln):
    """OCLC 48579336: ISBN-10 594067013X (v. 1) is stored as its ISBN-13; qualifiers are not part of it."""
    s = summarise(trln[0], "marc21")
    assert s.title == "Rossi︠i︡a i Balti︠i︡a"
    assert s.title_original == "Россия и Балтия"
    assert "9785940670131" in s.isbns and len(s.isbns) == 5  # the ten 020s hold five books twice
    assert s.invalid_identifiers == []
    assert s.year == 2000 and s.date_text == "2000-" and s.place == "Moskva"
    assert s.subjects[0] == "Russia -- Relations -- Baltic States"
    assert "Чубарьян, A. O. (Александр Оганович)" in s.authors
    assert s.script_codes == ["Latn", "Cyrl"]
    published = [d for d in s.display if d.label == "Published"]
    assert published[0].original == "Москва : Ин-т всеобщей истории РАН, 2000-"
    assert all(d.direction == "ltr" for d in s.display)


def test_cjk_original_and_unlinked_880(convspec):
    """LC ConvSpec fixtures: $1 (CJK) 880s; an unlinked 880 (111-00) still shows, under its own tag's label."""
    s = summarise(convspec[1], "marc21")
    assert s.title_original == "刘徽评传 : 附秦九韶、李冶、杨辉、朱世杰评传"
    assert s.script_codes == ["Latn", "Hani"]
    korean = summarise(convspec[4], "marc21")
    unlinked = [d for d in korean.display if d.tag == "111" and d.original is None and d.value.startswith("大韓")]
    assert unlinked and unlinked[0].label == "Author"
    assert "大韓 民國 書藝 文人畵 大展" in korean.authors
    assert {"Hani", "Hang"} <= set(korean.script_codes)


def test_unimarc_rusmarc_record(rusmarc):
    """NLR RUSMARC (cp1251): 200/210/700/606/101/801 read as UNIMARC; the agency comes from 801 $b."""
    s = summarise(rusmarc[5], "unimarc")
    assert s.kind == "bibliographic" and s.material_type == "book"
    assert s.title == "Почему погиб социализм : [Сб. ст.]"
    assert s.authors == ["Стрыгин, В. З."]
    assert s.subjects == ["Социализм -- Сборники"]
    assert (s.place, s.publisher, s.date_text, s.year) == ("Жуковский", "ИМ-Информ", "2000", 2000)
    assert s.languages == ["rus"]
    assert s.control_number == "RU\\NLR\\bibl\\74092" and s.control_agency == "NLR"
    assert s.notes == ["Содерж.: Необходимость социальной революции; От единоначалия к самоуправлению"]
    assert s.script_codes == ["Cyrl"]
    first = summarise(rusmarc[0], "unimarc")
    assert first.isbns == ["9785744300432"]  # 010 $a 5-7443-0043-0
    assert first.year == 1997 and first.series == ["Задачи и этюды ; Вып. 13"]


def test_every_demo_record_summarises(cairo, trln, rusmarc, convspec):
    """No record of the demo set makes summarise fail; each with a 245 has a title and a material type."""
    for record in [*cairo, *trln, *convspec]:
        s = summarise(record, "marc21")
        assert s.material_type
        # One ConvSpec fixture is deliberately only three unlinked 880 246s: it has no title to find.
        assert s.title or not record.get_fields("245")
    for record in rusmarc:
        assert summarise(record, "unimarc").title


@pytest.mark.shared_data
def test_bad_isbns_are_reported(shared_data):
    """Evergreen badisbns.xml: 020 $z and a bad $a checksum land in invalid_identifiers, valid $a as ISBN-13."""
    records = pymarc.parse_xml_to_array(str(shared_data / "malformed/evergreen/badisbns.xml"))
    summaries = [summarise(r, "marc21") for r in records]
    assert all(s.invalid_identifiers for s in summaries)
    assert summaries[0].invalid_identifiers == ["020 $z HL00361126: cancelled or invalid"]
    assert summaries[2].isbns == ["9780553204308", "9780553268478"]  # from 0553204300 and 0553268473 (pbk.)
    assert summaries[9].invalid_identifiers == ["020 $a 8901452100503: invalid component"]


@pytest.mark.shared_data
def test_authority_records(shared_data):
    """LC subject authority 'Dogs': kind authority, heading as title, 4XX/5XX as variant titles."""
    with open(shared_data / "authority/evergreen-authority-record.mrc", "rb") as fh:
        record = next(iter(pymarc.MARCReader(fh, to_unicode=True, force_utf8=False)))
    s = summarise(record, "marc21")
    assert (s.kind, s.material_type, s.title) == ("authority", "authority", "Dogs")
    assert "Canis lupus familiaris" in s.titles and "Gray wolf" in s.titles
    assert [d.label for d in s.display][:2] == ["Heading", "See from"]
    with open(shared_data / "authority/evergreen-auth-subset100.mrc", "rb") as fh:
        records = [r for r in pymarc.MARCReader(fh, to_unicode=True, force_utf8=False) if r]
    assert records and all(summarise(r, "marc21").kind == "authority" for r in records)


def test_solar_hijri_imprint_year():
    """An Iranian imprint dated only in Persian digits (۱۳۹۹) gets the Gregorian year 2020."""
    record = pymarc.Record(leader="00000nam a2200000 a 4500")
    record.add_field(pymarc.Field(tag="008", data="200101suuuu    ir            000 0 per d"))
    record.add_field(pymarc.Field(tag="245", indicators=pymarc.Indicators("1", "0"),
                                  subfields=[pymarc.Subfield("a", "دیوان حافظ.")]))
    record.add_field(pymarc.Field(tag="264", indicators=pymarc.Indicators(" ", "1"), subfields=[
        pymarc.Subfield("a", "تهران :"), pymarc.Subfield("b", "نشر نی،"), pymarc.Subfield("c", "۱۳۹۹.")]))
    s = summarise(record, "marc21")
    assert s.title == "دیوان حافظ" and s.date_text == "۱۳۹۹" and s.year == 2020
    assert s.publisher == "نشر نی" and s.place == "تهران" and s.languages == ["per"]
    assert s.display[0].direction == "rtl" and s.script_codes == ["Arab"]


def test_unimarc_non_sorting_marks_are_not_part_of_the_title(rusmarc):
    # UNIMARC brackets an article that filing skips with NSB/NSE (U+0088/U+0089): "\x88Les \x89Intérêts".
    record = rusmarc[5]
    field = record["200"]
    field.subfields[0] = pymarc.Subfield("a", "\x88Les \x89" + field["a"])
    s = summarise(record, "unimarc")
    assert s.title.startswith("Les ") and "\x88" not in s.title and "\x89" not in s.title
    assert all("\x88" not in d.value and "\x89" not in d.value for d in s.display)

"""The MARC 21 <-> UNIMARC crosswalk: what the table maps, what it reports as lost, and how real records
from both worlds (RUSMARC in CP1251, French UNIMARC serials, Arabic/Persian MARC 21 with 880 fields,
authorities) come through both ways and back."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pymarc
import pytest
from pymarc import Field, Indicators, Subfield

from kitabkhana.marc.crosswalk import (
    NSB,
    NSE,
    CrosswalkError,
    CrosswalkResult,
    _load_table,
    crosswalk,
    marc21_to_unimarc,
    round_trip_losses,
    unimarc_to_marc21,
)
from kitabkhana.marc.derive import summarise
from kitabkhana.marc.errors import RecordError
from kitabkhana.marc.profile import load_profile, validate
from kitabkhana.marc.reader import read_records
from kitabkhana.marc.writer import iso2709_to_record, to_iso2709

# --------------------------------------------------------------------------------------------------
# Helpers


def _record(leader: str, *fields: Field) -> pymarc.Record:
    record = pymarc.Record(to_unicode=True, force_utf8=True)
    record.leader = pymarc.Leader(leader)
    for f in fields:
        record.add_field(f)
    return record


def _df(tag: str, ind: str, *pairs: str) -> Field:
    return Field(tag=tag, indicators=Indicators(ind[0], ind[1]),
                 subfields=[Subfield(p[0], p[1:]) for p in pairs])


def _subs(f: Field) -> list[tuple[str, str]]:
    return [(sf.code, sf.value) for sf in f.subfields]


def _book(*fields: Field) -> pymarc.Record:
    return _record(
        "00000cam a2200000 i 4500",
        Field(tag="001", data="k-1"),
        Field(tag="008", data="200115s2019    ir a          000 0 per d"),
        _df("040", "  ", "aIrTeNL", "beng", "erda", "cIrTeNL"),
        *fields,
    )


def _records(path: Path, flavour: str) -> list[pymarc.Record]:
    return [r.record for r in read_records(path) if r.record is not None and r.flavour == flavour]


# --------------------------------------------------------------------------------------------------
# The table and the interface


def test_tables_load_and_every_row_names_known_rules_and_code_lists():
    """Both tables parse; every 'm1:codes' cell refers to a code list that exists in codes.json."""
    from kitabkhana.marc.crosswalk import _code_map, _table

    for name in ("bibliographic", "authority"):
        table = _table(name)
        assert table.forward and table.reverse
        for rows in (*table.forward.values(), *table.reverse.values()):
            for row in rows:
                for cell in (*row.marc_ind, *row.uni_ind):
                    if cell.codes:
                        assert _code_map(cell.codes, False) and _code_map(cell.codes, True)
    assert "245" in _table("bibliographic").forward and "200" in _table("bibliographic").reverse
    assert "100" in _table("authority").forward and "200" in _table("authority").reverse


def test_a_malformed_row_is_refused_with_its_line_number(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("# comment\n245\t#\t#\t200\t1\t#\ta=a b:e\t=\ttitle\tnote\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.tsv line 2: subfield pair 'b:e'"):
        _load_table(bad)
    bad.write_text("245\t#\t#\t200\t1\t#\ta=a\t=\tnosuchrule\tnote\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 1: unknown rule\(s\) \['nosuchrule'\]"):
        _load_table(bad)
    bad.write_text("780\tu2:nosuchlist\t0\t430\t#\tm1:note\ta=a\t=\tlink\tnote\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 1: code list 'nosuchlist' is not in codes.json"):
        _load_table(bad)


def test_same_format_is_a_copy_and_unknown_formats_are_refused():
    record = _book(_df("245", "10", "aKitab."))
    result = crosswalk(record, source="marc21", target="marc21")
    assert isinstance(result, CrosswalkResult) and result.losses == []
    assert result.record is not record and result.record.as_marc() == record.as_marc()
    with pytest.raises(ValueError, match="target 'marc' is not one of"):
        crosswalk(record, source="marc21", target="marc")


def test_records_that_cannot_be_crosswalked_raise_crosswalk_error_naming_the_field():
    no_title = _book(_df("100", "1 ", "aFirdawsī."))
    with pytest.raises(CrosswalkError, match="no title") as caught:
        marc21_to_unimarc(no_title)
    assert isinstance(caught.value, RecordError) and caught.value.field == "245"
    holdings = _record("00000cx  a2200000   4500", _df("852", "  ", "bMain"))
    with pytest.raises(CrosswalkError, match="leader/06 'x'"):
        marc21_to_unimarc(holdings)
    no_200 = _record("00000nam  2200000   450 ", _df("700", " 1", "aStrygin", "bV."))
    with pytest.raises(CrosswalkError, match=r"no title \(200 \$a\)"):
        unimarc_to_marc21(no_200)


# --------------------------------------------------------------------------------------------------
# Bibliographic mapping, one element at a time


def test_title_statement_becomes_200_without_punctuation_and_with_nsb_nse():
    record = _book(
        _df("100", "1 ", "aŠahnāme,", "eauthor."),
        _df("245", "14", "aThe book of kings =", "bShāhnāmah :", "bepic /", "cFirdawsī ; translated by D. Davis."),
    )
    result = marc21_to_unimarc(record)
    title = result.record["200"]
    assert title.indicators == Indicators("1", " ")
    assert _subs(title) == [("a", f"{NSB}The {NSE}book of kings"), ("d", "Shāhnāmah"), ("e", "epic"),
                            ("f", "Firdawsī"), ("g", "translated by D. Davis")]
    back = unimarc_to_marc21(result.record).record["245"]
    assert back.indicators == Indicators("1", "4")  # the non-filing count comes back from NSB/NSE
    assert _subs(back) == [("a", "The book of kings ="), ("b", "Shāhnāmah : epic /"),
                           ("c", "Firdawsī ; translated by D. Davis.")]


def test_personal_names_split_surname_and_forename_and_relators_become_numeric():
    record = _book(
        _df("100", "1 ", "aDavis, Dick,", "d1945-", "eauthor."),
        _df("245", "10", "aShahnameh."),
        _df("700", "1 ", "aNafisi, Azar,", "etranslator."),
        _df("700", "1 ", "aSmith, J. K.", "4edt"),
        _df("700", "1 ", "aHafez,", "d-1390."),
    )
    uni = marc21_to_unimarc(record).record
    assert _subs(uni["700"]) == [("a", "Davis"), ("b", "Dick"), ("f", "1945-"), ("4", "070")]
    assert uni["700"].indicators == Indicators(" ", "1")
    secondary = [_subs(f) for f in uni.get_fields("702")]
    assert [("a", "Nafisi"), ("b", "Azar"), ("4", "730")] in secondary
    assert [("a", "Smith"), ("b", "J. K."), ("4", "340")] in secondary
    assert _subs(uni["701"]) == [("a", "Hafez"), ("f", "-1390")]  # no relator: intellectual responsibility
    back = unimarc_to_marc21(uni).record
    assert _subs(back["100"]) == [("a", "Davis, Dick,"), ("d", "1945-"), ("4", "aut")]
    # 701 is written before 702 (UNIMARC keeps tag order), so the added entries come back in that order.
    assert [_subs(f) for f in back.get_fields("700")] == [
        [("a", "Hafez,"), ("d", "-1390.")], [("a", "Nafisi, Azar."), ("4", "trl")],
        [("a", "Smith, J. K."), ("4", "edt")]]


def test_unknown_relator_terms_and_unmapped_subfields_are_reported_as_losses():
    record = _book(
        _df("245", "10", "aGulistān.", "kManuscript."),
        _df("700", "1 ", "aSaʻdī,", "ecalligraphic artist."),
        _df("852", "  ", "bMain", "hPK6542"),
        _df("999", "  ", "alocal"),
    )
    losses = marc21_to_unimarc(record).losses
    assert "245 $k: no UNIMARC equivalent" in losses
    assert "852: no UNIMARC equivalent" in losses and "999: no UNIMARC equivalent" in losses
    assert any(line.startswith("700 $e 'calligraphic artist.'") for line in losses)


def test_subject_thesaurus_indicator_becomes_2_and_subdivisions_are_recoded():
    record = _book(
        _df("245", "10", "aTārīkh."),
        _df("651", " 0", "aIran", "xHistory", "yQajar dynasty, 1794-1925", "vSources."),
        _df("650", " 7", "aPoetry", "2fast"),
        _df("650", " 4", "aEpic poetry."),
    )
    uni = marc21_to_unimarc(record).record
    assert _subs(uni["607"]) == [("a", "Iran"), ("x", "History"), ("z", "Qajar dynasty, 1794-1925"),
                                 ("j", "Sources"), ("2", "lc")]
    assert [_subs(f) for f in uni.get_fields("606")] == [[("a", "Poetry"), ("2", "fast")], [("a", "Epic poetry")]]
    back = unimarc_to_marc21(uni).record
    assert back["651"].indicators[1] == "0" and back["651"].get("2") is None
    assert [f.indicators[1] for f in back.get_fields("650")] == ["7", "4"]


def test_identifiers_fixed_fields_and_languages():
    record = _book(
        _df("020", "  ", "a9789641234567 (pbk.) :", "cRls 250000"),
        _df("041", "1 ", "aper", "hara"),
        _df("245", "10", "aKitāb."),
        _df("260", "  ", "aTehran :", "bNashr-i Ney,", "c2019."),
    )
    uni = marc21_to_unimarc(record).record
    assert _subs(uni["010"]) == [("a", "9789641234567"), ("b", "pbk."), ("d", "Rls 250000")]
    assert _subs(uni["101"]) == [("a", "per"), ("c", "ara")] and uni["101"].indicators[0] == "1"
    assert _subs(uni["102"]) == [("a", "IR")]
    coded = uni["100"]["a"]
    assert coded[:8] == "20200115" and coded[8:13] == "d2019" and coded[22:25] == "eng"
    assert coded[26:30] == "50  " and len(coded) == 36
    assert _subs(uni["210"]) == [("a", "Tehran"), ("c", "Nashr-i Ney"), ("d", "2019")]
    assert [(f.indicators[1], f["b"]) for f in uni.get_fields("801")] == [("0", "IrTeNL"), ("1", "IrTeNL")]
    back = unimarc_to_marc21(uni).record
    assert back["008"].data[6:11] == "s2019" and back["008"].data[15:18] == "ir " and back["008"].data[35:38] == "per"
    assert str(back.leader)[9] == "a"
    assert _subs(back["260"]) == [("a", "Tehran :"), ("b", "Nashr-i Ney,"), ("c", "2019.")]


def test_880_fields_become_repeated_unimarc_fields_linked_by_6_and_7_and_come_back():
    record = _book(
        _df("100", "1 ", "6880-01", "aFirdawsī,", "d940-1020."),
        _df("245", "10", "6880-02", "aShāhnāmah /", "cFirdawsī."),
        _df("880", "1 ", "6100-01/(3/r", "aفردوسی،", "d940-1020."),
        _df("880", "10", "6245-02/(3/r", "aشاهنامه /", "cفردوسی."),
    )
    uni = marc21_to_unimarc(record).record
    titles = uni.get_fields("200")
    assert [_subs(f)[:3] for f in titles] == [[("6", "a02"), ("7", "ba"), ("a", "Shāhnāmah")],
                                              [("6", "a02"), ("7", "fa"), ("a", "شاهنامه")]]
    assert [f["7"] for f in uni.get_fields("700")] == ["ba", "fa"]
    back = unimarc_to_marc21(uni).record
    assert back["245"]["6"] == "880-02" and back["245"]["a"].startswith("Shāhnāmah")
    vernacular = {f["6"]: f for f in back.get_fields("880")}
    assert set(vernacular) == {"100-01/(3/r", "245-02/(3/r"}
    assert vernacular["245-02/(3/r"]["a"].startswith("شاهنامه")
    assert round_trip_losses(record, flavour="marc21") == []


def test_uniform_and_related_titles_lose_marc_punctuation_in_unimarc():
    """UNIMARC carries no ISBD punctuation (500 "$aBible$lEnglish$f1611"); MARC 21 240/130/730/740 keep it
    inside subfields ("Fuṣūṣ al-ḥikam. $lArabic."). It was copied into UNIMARC 500/517 as it stood."""
    record = _book(
        _df("100", "1 ", "aRamlī, Khayr al-Dīn ibn Aḥmad,", "d1585-1671."),
        _df("240", "10", "aFatāwá al-khayrīyah.", "lArabic.", "f1921."),
        _df("245", "10", "aKitāb al-Fatāwá al-khayrīyah /", "cKhayr al-Dīn al-Ramlī."),
        _df("730", "0 ", "aQurʼan.", "lPersian."),
        _df("740", "02", "aFatāwá.", "nPart 2."),
    )
    uni = marc21_to_unimarc(record).record
    uniform = [_subs(f) for f in uni.get_fields("500")]
    assert [("a", "Fatāwá al-khayrīyah"), ("m", "Arabic"), ("k", "1921")] in uniform
    assert [("a", "Qurʼan"), ("m", "Persian")] in uniform
    assert _subs(uni["517"]) == [("a", "Fatāwá"), ("h", "Part 2")]


def test_an_880_takes_the_unimarc_tag_of_the_field_it_shadows():
    """UNIMARC repeats a field in another script under the same tag, linked by $6 (3.11). The 880 copy of an
    editor's 700 has no $e, so on its own it would be 701 (intellectual responsibility) while the romanised
    field with "$e editor" is 702: one person split across two tags. Both must be 702, and come back paired."""
    record = _book(
        _df("100", "1 ", "6880-01", "aFirdawsī,", "d940-1020,", "eauthor."),
        _df("245", "10", "6880-02", "aShāhnāmah /", "cFirdawsī."),
        _df("700", "1 ", "6880-03", "aKhāliqī Muṭlaq, Jalāl,", "eeditor."),
        _df("880", "1 ", "6100-01/(3/r", "aفردوسی،", "d940-1020."),
        _df("880", "10", "6245-02/(3/r", "aشاهنامه /", "cفردوسی."),
        _df("880", "1 ", "6700-03/(3/r", "aخالقی مطلق، جلال."),
    )
    uni = marc21_to_unimarc(record).record
    assert uni.get_fields("701") == []
    editors = uni.get_fields("702")
    assert [(f["6"], f["7"], f["a"]) for f in editors] == [("a03", "ba", "Khāliqī Muṭlaq"), ("a03", "fa", "خالقی مطلق")]
    assert editors[0]["4"] == "340"
    back = unimarc_to_marc21(uni).record
    assert [f["6"] for f in back.get_fields("700")] == ["880-03"]
    assert "700-03/(3/r" in [f["6"] for f in back.get_fields("880")]


@pytest.mark.shared_data
def test_lc_880_fixture_keeps_every_linked_pair_under_one_unimarc_tag(shared_data):
    """LC's convspec 880 fixtures (Persian, Chinese, Hebrew...): in every crosswalked record, the fields that
    share a $6 linking number carry the same tag (an editor in 700 $e with an unqualified 880 made 702 + 701)."""
    path = shared_data / "marc21-nonlatin" / "lc-marc2bibframe2" / "convspec-880-fixtures.xml"
    checked = 0
    for result in read_records(path):
        if result.record is None:
            continue
        try:
            uni = marc21_to_unimarc(result.record).record
        except CrosswalkError:  # the fixture file has a record with a blank leader/06
            continue
        tags: dict[str, set[str]] = {}
        for f in uni.fields:
            if not f.is_control_field() and (f.get("6") or "").startswith("a"):
                tags.setdefault(f["6"], set()).add(f.tag)
        split = {n: t for n, t in tags.items() if len(t) > 1}
        assert not split, f"{result.record['001'].data if result.record['001'] else '?'}: {split}"
        checked += 1
    assert checked >= 10


# --------------------------------------------------------------------------------------------------
# Real records


UNIMARC_FILES = ("bsg-cotes8.mrc", "bsg-cotesBR.mrc", "bsg-cotesD.mrc", "bsg-cotesMEL.mrc", "bsg-cotesX.mrc",
                 "periouni.mrc", "rusmarc-nlr-cp1251.iso", "bsg-marcxml-estampenumerisation192.xml",
                 "bsg-marcxml-nordiquenumerisation.xml", "rusmarc-ukr-uni-slim.xml", "pymarc-testunimarc.dat")

MARC21_FILES = (
    "marc21-nonlatin/nyu-outsourced/nyu-arabic-vendor-full.mrc", "marc21-nonlatin/nyu-outsourced/nyu-persian-vendor-full.mrc",
    "marc21-nonlatin/nyu-outsourced/nyu-greek-vendor-full.mrc", "marc21-nonlatin/nyu-outsourced/nyu-turkish-vendor-full.mrc",
    "marc21-nonlatin/openlibrary/880_arabic_french_many_linkages.mrc", "marc21-nonlatin/openlibrary/880_Nihon_no_chasho.mrc",
    "marc21-nonlatin/traject/test_data.utf8.mrc", "marc21-nonlatin/traject/hebrew880s.marc",
    "marc21-nonlatin/evergreen/FSL-armenian-cyrillic.marc", "marc21-nonlatin/evergreen/nepali.marc",
    "marc21-nonlatin/lc-marc2bibframe2/convspec-880-fixtures.xml", "marc21-nonlatin/aco/aco-aeadna-uae-national-archives.mrc",
    "marc21-bibliographic/evergreen/RDA-records.mrc", "marc21-bibliographic/evergreen/lul_fre_100.mrc",
    "marc21-bibliographic/evergreen/concerto-bibs_cze.xml", "marc21-bibliographic/evergreen/map_data.mrc",
    "marc21-bibliographic/file_marc/music.mrc", "marc21-bibliographic/perl/camel.usmarc",
    "marc21-bibliographic/marc4j/sample1.mrc", "marc21-bibliographic/recordmanager/marc_links.xml",
    "marc21-bibliographic/lc-marc2bibframe2/loc_general.xml", "marc21-bibliographic/lc-marc2bibframe2/dnb.xml",
)


def tokens(text: str) -> list[str]:
    """Words without case, diacritics or UNIMARC non-sorting marks (the marc core may not import
    kitabkhana.scripts, whose normalise does the same for the index)."""
    decomposed = unicodedata.normalize("NFKD", text.translate({0x88: None, 0x89: None})).casefold()
    return re.findall(r"\w+", "".join(c for c in decomposed if not unicodedata.combining(c)))


def _key(record: pymarc.Record, flavour: str) -> dict:
    s = summarise(record, flavour)
    return {"title": tokens(s.title), "authors": [" ".join(tokens(a)) for a in s.authors], "year": s.year,
            "isbns": sorted(s.isbns), "languages": sorted(s.languages)}


def _mismatches(source: dict, target: dict) -> list[str]:
    """Fields of the summary that do not survive. A MARC 21 title may run longer than the UNIMARC one:
    245 $b carries the parallel title UNIMARC keeps apart in 200 $d, and summarise reads $b."""
    bad: list[str] = []
    short, long_ = sorted((source["title"], target["title"]), key=len)
    if long_[:len(short)] != short or not short:
        bad.append("title")
    for author in source["authors"]:
        if not any(a.startswith(author) or author.startswith(a) for a in target["authors"]):
            bad.append("authors")
            break
    bad += [k for k in ("year", "isbns", "languages") if source[k] != target[k]]
    return bad


def _unexplained_errors(result: pymarc.Record, source: pymarc.Record, target: str) -> list[str]:
    """Errors of our own cataloguing profile in a converted record, less those the source explains:
    UNIMARC repeats any field for another script ($7), a source that repeats a field it should not
    passes that on, and a source without 001 or without any agency (040/003; 801) cannot give one."""
    kind = "authority" if summarise(result, target).kind == "authority" else "bibliographic"
    source_flavour = "unimarc" if target == "marc21" else "marc21"
    source_repeats = any(m.code == "not-repeatable" for m in validate(source, load_profile(source_flavour, kind)))
    errors: list[str] = []
    for m in validate(result, load_profile(target, kind)):
        if m.severity != "error":
            continue
        if m.code == "not-repeatable" and (source_repeats or all(f.get("7") for f in result.get_fields(m.tag))):
            continue
        if m.tag == "001" and source.get("001") is None:
            continue
        if m.tag in ("801", "040") and not (source.get("040") or source.get("003") or source.get("801")):
            continue
        errors.append(m.message)
    return errors


def _through(records: list[pymarc.Record], source: str, target: str) -> tuple[int, int, list[str], list[str]]:
    """(converted, kept summaries, mismatches, refusals); every result goes through our writer and reader,
    and a result with a profile error the source does not explain counts as a mismatch."""
    converted = kept = 0
    mismatches: list[str] = []
    refused: list[str] = []
    for n, record in enumerate(records, start=1):
        try:
            result = crosswalk(record, source=source, target=target)
        except CrosswalkError as exc:
            refused.append(f"#{n}: {exc}")
            continue
        again = iso2709_to_record(to_iso2709(result.record, flavour=target))
        assert [f.tag for f in again.fields] == [f.tag for f in result.record.fields]
        converted += 1
        errors = _unexplained_errors(result.record, record, target)
        if errors:
            mismatches.append(f"#{n} profile: {errors[:3]}")
            continue
        bad = _mismatches(_key(record, source), _key(again, target))
        if bad:
            mismatches.append(f"#{n} {bad}: {_key(record, source)['title'][:8]}")
        else:
            kept += 1
    return converted, kept, mismatches, refused


@pytest.mark.shared_data
def test_every_unimarc_record_converts_to_marc21_and_keeps_its_summary(shared_data):
    """2,700 UNIMARC/RUSMARC records: no exception, our ISO 2709 round trip holds, and title, authors,
    year, ISBNs and languages read the same from the MARC 21 result for at least 97 % of them."""
    records: list[pymarc.Record] = []
    for name in UNIMARC_FILES:
        records += _records(shared_data / "unimarc" / name, "unimarc")
    converted, kept, mismatches, refused = _through(records, "unimarc", "marc21")
    assert len(records) > 2600 and converted == len(records) - len(refused)
    assert not refused, refused[:5]
    assert kept / converted >= 0.97, f"{kept}/{converted} kept; first mismatches: {mismatches[:15]}"


@pytest.mark.shared_data
def test_every_marc21_record_converts_to_unimarc_and_keeps_its_summary(shared_data):
    """Arabic, Persian, Hebrew, CJK, Greek, Armenian records with 880s and Latin-script records:
    UNIMARC results survive our writer and summarise alike for at least 97 % of them."""
    records: list[pymarc.Record] = []
    for name in MARC21_FILES:
        records += _records(shared_data / name, "marc21")
    converted, kept, mismatches, refused = _through(records, "marc21", "unimarc")
    assert len(records) > 1000
    assert all("not a bibliographic or authority record" in r or "no title" in r for r in refused), refused
    assert len(refused) <= 10
    assert kept / converted >= 0.97, f"{kept}/{converted} kept; first mismatches: {mismatches[:15]}"


@pytest.mark.shared_data
def test_rusmarc_title_and_author_become_245_and_100(shared_data):
    """NLR RU\\NLR\\bibl\\74092: 200 $a/$e/$f and 700 $a/$b (CP1251 in the file) -> 245 and 100 in UTF-8."""
    records = _records(shared_data / "unimarc" / "rusmarc-nlr-cp1251.iso", "unimarc")
    record = next(r for r in records if r["001"].data == "RU\\NLR\\bibl\\74092")
    result = unimarc_to_marc21(record)
    marc = result.record
    assert _subs(marc["245"]) == [("a", "Почему погиб социализм :"), ("b", "[Сб. ст.] /"), ("c", "В.З. Стрыгин.")]
    assert marc["245"].indicators == Indicators("1", "0")
    assert _subs(marc["100"]) == [("a", "Стрыгин, В. З."), ("4", "aut")]
    assert _subs(marc["260"]) == [("a", "Жуковский :"), ("b", "ИМ-Информ,"), ("c", "2000.")]
    assert marc["008"].data[7:11] == "2000" and marc["008"].data[35:38] == "rus"
    assert marc["040"]["a"] == "NLR" and marc["040"]["b"] == "rus"
    assert "899: no MARC 21 equivalent" in result.losses
    again = iso2709_to_record(to_iso2709(marc, flavour="marc21"))
    assert again["245"]["a"] == "Почему погиб социализм :"


@pytest.mark.shared_data
def test_rusmarc_embedded_set_link_becomes_773(shared_data):
    """A volume of a set (461 with embedded 001 and 200, the $1 technique) links to its set in 773."""
    records = _records(shared_data / "unimarc" / "rusmarc-nlr-cp1251.iso", "unimarc")
    volume = next(r for r in records if r.get("461") is not None and r["200"]["a"].startswith("Вып. 15"))
    host = unimarc_to_marc21(volume).record["773"]
    assert _subs(host) == [("w", "RU\\NLR\\bibl\\5996"), ("t", "Задачи и этюды"), ("g", "Вып. 15")]


@pytest.mark.shared_data
def test_arabic_880_pairing_survives_a_round_trip(shared_data):
    """Open Library's Arabic/French record: nine 880s linked to 245, 250, 260, 490, 700 x3, 710, 830 keep
    their partners through UNIMARC ($6 a01..a09 + $7 ba/fa) and back, with the Arabic text unchanged."""
    path = shared_data / "marc21-nonlatin" / "openlibrary" / "880_arabic_french_many_linkages.mrc"
    record = _records(path, "marc21")[0]
    uni = marc21_to_unimarc(record).record
    linked = [f for f in uni.fields if not f.is_control_field() and f.get("6")]
    assert len(linked) == 18 and {f.get("7") for f in linked} == {"ba", "fa"}
    back = unimarc_to_marc21(uni).record
    pairs_before = sorted((f["6"].split("/")[0], f["a"]) for f in record.get_fields("880"))
    pairs_after = sorted((f["6"].split("/")[0], f["a"]) for f in back.get_fields("880"))
    assert pairs_after == pairs_before
    for f in back.get_fields("880"):
        assert f["6"].endswith("/(3/r")
        partner = back.get_fields(f["6"][:3])
        assert any(p.get("6") == f"880-{f['6'][4:6]}" for p in partner)
    losses = round_trip_losses(record, flavour="marc21")
    assert not [line for line in losses if line.startswith(("245", "880", "700", "710"))], losses


@pytest.mark.shared_data
def test_unimarc_serial_round_trip_reports_local_fields_and_keeps_the_issn(shared_data):
    """periouni.mrc record 1 (4 pages, Noisy-le-Grand): ISSN, 326 frequency and 517 variant title survive
    UNIMARC -> MARC 21 -> UNIMARC; the 9XX local fields are what the round trip reports as lost."""
    record = _records(shared_data / "unimarc" / "periouni.mrc", "unimarc")[0]
    marc = unimarc_to_marc21(record).record
    assert marc["022"]["a"] == "1251-8107" and marc["310"]["a"] == "Bimestriel"
    assert str(marc.leader)[6:8] == "as" and marc["008"].data[6:15] == "d19949999"
    losses = round_trip_losses(record, flavour="unimarc")
    assert "955 lost" in " ".join(losses) and "992 lost" in " ".join(losses)
    assert not [line for line in losses if line.startswith(("011", "326", "517 lost", "606"))], losses


@pytest.mark.shared_data
def test_marc21_authorities_go_through_the_authority_table(shared_data):
    """LC genre/form and IISG name authorities: 1XX -> 2XX headings, 4XX/5XX tracings, 670 -> 810, and back."""
    lc = _records(shared_data / "authority" / "evergreen-concerto-auth_lc.xml", "marc21")
    genre = next(r for r in lc if r.get("155") is not None)
    uni = marc21_to_unimarc(genre)
    assert str(uni.record.leader)[6] == "x" and str(uni.record.leader)[9] == "l"
    # UNIMARC/A leader/20-23, the directory map, is "450 " as in bibliographic records (it read "45  ").
    assert str(uni.record.leader)[10:12] == "22" and str(uni.record.leader)[20:24] == "450 "
    assert uni.record["280"]["a"] == genre["155"]["a"]
    assert len(uni.record.get_fields("480")) == len(genre.get_fields("455"))
    assert len(uni.record.get_fields("810")) == len(genre.get_fields("670"))
    back = unimarc_to_marc21(uni.record).record
    assert str(back.leader)[6] == "z" and back["155"]["a"] == genre["155"]["a"]
    assert summarise(back, "marc21").kind == "authority"
    names = _records(shared_data / "authority" / "evergreen-auth-subset100.mrc", "marc21")
    converted = [marc21_to_unimarc(r).record for r in names]
    assert all(r.get("200") or r.get("210") or r.get("215") or r.get("250") or r.get("230") or r.get("220")
               for r in converted)
    person = next(r for r in lc + names if r.get("100") is not None and r["100"].indicators[0] == "1")
    heading = marc21_to_unimarc(person).record["200"]
    assert heading.indicators[1] == "1" and heading["b"]


def test_a_unimarc_authority_becomes_a_marc21_authority():
    """UNIMARC authority (leader/06 x, type of entity a): 200 $a/$b/$f -> 100 "Surname, Forename, dates",
    400 -> 400, 810 -> 670, 100$a/9-11 -> 040 $b; the leader says authority."""
    record = _record(
        "00000nx  a2200000   45  ",
        Field(tag="001", data="A-7"),
        _df("100", "  ", "a20210304apery50      fa1"),
        _df("200", " 1", "6a01", "7ba", "aHedayat", "bSadegh", "f1903-1951"),
        _df("200", " 1", "6a01", "7fa", "aهدایت", "bصادق"),
        _df("400", " 1", "aHidāyat", "bṢādiq"),
        _df("810", "  ", "aBuf-i kur, 1937"),
        _df("801", " 0", "aIR", "bNLAI", "c20210304"),
    )
    result = unimarc_to_marc21(record)
    marc = result.record
    assert str(marc.leader)[6] == "z" and str(marc.leader)[9] == "a" and len(str(marc.leader)) == 24
    # Authority headings carry the name separators but no closing full stop.
    assert _subs(marc["100"]) == [("6", "880-01"), ("a", "Hedayat, Sadegh,"), ("d", "1903-1951")]
    assert _subs(marc["880"]) == [("6", "100-01/(3/r"), ("a", "هدایت، صادق")]
    assert _subs(marc["400"]) == [("a", "Hidāyat, Ṣādiq")]
    assert _subs(marc["670"]) == [("a", "Buf-i kur, 1937")]
    assert marc["040"]["a"] == "NLAI" and marc["040"]["b"] == "per"
    assert marc["008"].data[:6] == "210304" and len(marc["008"].data) == 40
    assert summarise(marc, "marc21").title.startswith("Hedayat, Sadegh")


@pytest.mark.shared_data
def test_round_trip_report_of_a_french_unimarc_record(shared_data):
    """BSG record 1 of bsg-cotesMEL.mrc: the round trip keeps title, author, imprint and identifiers; it
    reports the local 9XX and 002 fields as lost and the 200 ind2 non-filing count as changed to NSB/NSE."""
    record = _records(shared_data / "unimarc" / "bsg-cotesMEL.mrc", "unimarc")[0]
    marc = unimarc_to_marc21(record).record
    assert marc["245"].indicators == Indicators("1", "4")
    assert marc["245"]["a"] == "Les Intérêts français en Bohême :"
    assert _subs(marc["100"]) == [("a", "Léger, Louis,"), ("d", "1843-1923."), ("4", "aut")]
    lines = round_trip_losses(record, flavour="unimarc")
    assert "002 lost: 002 0001101690" in lines
    assert {line.split(":")[0] for line in lines if " lost" in line} >= {"945 lost", "991 lost", "995 lost"}
    assert any(line.startswith("200 changed: 200 14 $a Les Intérêts") and f"{NSB}Les {NSE}" in line
               for line in lines)
    assert not [line for line in lines if line.startswith(("010", "035", "210", "215", "700"))], lines


def test_name_title_subject_becomes_604_with_embedded_fields_and_back():
    """600 $a $d $t (a work as subject) -> UNIMARC 604 $1700 (name) $1500 (title), and back to 600."""
    record = _book(
        _df("245", "10", "aShakespeare in Persian."),
        _df("600", "10", "aShakespeare, William,", "d1564-1616.", "tHamlet", "xTranslations into Persian."),
    )
    uni = marc21_to_unimarc(record).record
    assert _subs(uni["604"]) == [("1", "700 1"), ("a", "Shakespeare"), ("b", "William"), ("f", "1564-1616"),
                                 ("1", "50010"), ("a", "Hamlet"), ("x", "Translations into Persian"), ("2", "lc")]
    back = unimarc_to_marc21(uni).record["600"]
    assert back.indicators == Indicators("1", "0")
    assert _subs(back) == [("a", "Shakespeare, William,"), ("d", "1564-1616."), ("t", "Hamlet"),
                           ("x", "Translations into Persian.")]

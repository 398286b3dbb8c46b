"""kitabkhana.marc.dublin_core: the LC MARC 21 and the PUC UNIMARC crosswalks to simple Dublin Core."""

from __future__ import annotations

from pathlib import Path

import pymarc
from pymarc import Field, Subfield

from kitabkhana.marc.dublin_core import DC_ELEMENTS, record_to_dc
from kitabkhana.marc.reader import read_records

DEMO = Path(__file__).resolve().parents[3] / "demo"


def _f(tag: str, ind: str, *pairs: str) -> Field:
    return Field(tag=tag, indicators=[ind[0], ind[1]], subfields=[Subfield(p[0], p[1:]) for p in pairs])


def _dc(record: pymarc.Record, flavour: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for element, value in record_to_dc(record, flavour):
        out.setdefault(element, []).append(value)
    return out


def test_marc21_book_maps_every_element():
    """A Persian book with 880 vernacular fields: each MARC field lands in the element LC's crosswalk names."""
    r = pymarc.Record(leader="00000nam a2200000 i 4500")
    r.add_field(
        Field(tag="008", data="200101s2012    ir            000 1 per d"),
        _f("020", "  ", "a9789642280988", "q(pbk.)"),
        _f("022", "  ", "a0378-5955"),
        _f("041", "0 ", "aperara"),
        _f("050", " 4", "aPK6561", "b.J85 2012"),
        _f("100", "1 ", "aJūlāyī, Riz̤ā,", "d1950-", "eauthor.", "6880-01"),
        _f("245", "10", "aSūʼ-i qaṣd :", "brumān /", "cRiz̤ā Jūlāyī.", "6880-02"),
        _f("246", "3 ", "aSuʼ-i qasd"),
        _f("264", " 1", "aTihrān :", "bNashr-i Naqd-i Afkār,", "c1391 [2012]"),
        _f("264", " 4", "c©2012"),
        _f("300", "  ", "a318 pages ;", "c22 cm."),
        _f("490", "1 ", "aQiṣṣah-yi nū ;", "v16"),
        _f("500", "  ", "aNovel."),
        _f("506", "  ", "aOpen access."),
        _f("540", "  ", "aCC BY 4.0."),
        _f("546", "  ", "aIn Persian."),
        _f("650", " 0", "aPersian fiction", "y21st century."),
        _f("651", " 0", "aIran", "xHistory."),
        _f("655", " 7", "aNovels.", "2lcgft"),
        _f("700", "1 ", "aSmith, John,", "etranslator."),
        _f("773", "0 ", "tParent work", "oURN:x"),
        _f("856", "40", "uhttps://example.org/book", "qapplication/pdf"),
        _f("880", "1 ", "6100-01/(3/r", "aجولایی، رضا"),
        _f("880", "10", "6245-02/(3/r", "aسوء قصد :", "bرمان /"),
    )
    dc = _dc(r, "marc21")
    assert dc["title"] == ["Sūʼ-i qaṣd : rumān", "Suʼ-i qasd", "سوء قصد : رمان"]
    assert dc["creator"] == ["Jūlāyī, Riz̤ā, 1950-", "جولایی، رضا"]
    assert dc["contributor"] == ["Smith, John"]
    assert dc["subject"] == ["PK6561 .J85 2012", "Persian fiction -- 21st century"]
    assert dc["coverage"] == ["Iran -- History"]
    assert dc["publisher"] == ["Tihrān : Nashr-i Naqd-i Afkār"]
    assert dc["date"] == ["1391 [2012]", "©2012", "2012"]
    assert dc["type"] == ["Novels", "Text"]
    assert dc["format"] == ["318 pages 22 cm", "application/pdf"]
    assert dc["identifier"][:2] == ["URN:ISBN:9789642280988", "URN:ISSN:0378-5955"]
    assert "https://example.org/book" in dc["identifier"]
    assert dc["language"] == ["per", "ara", "In Persian."]
    assert dc["description"] == ["Novel."]
    assert dc["rights"] == ["Open access.", "CC BY 4.0."]
    assert dc["relation"] == ["Qiṣṣah-yi nū ; 16", "Parent work. URN:x"]
    # Elements come in DCMES order.
    order = [e for e, _ in record_to_dc(r, "marc21")]
    assert order == sorted(order, key=DC_ELEMENTS.index)


def test_unimarc_book_maps_every_element():
    """A UNIMARC record per the Permanent UNIMARC Committee's mapping."""
    r = pymarc.Record(leader="00000nam0 22000001i 450 ")
    r.add_field(
        Field(tag="003", data="http://catalogue.bnf.fr/ark:/12148/cb123"),
        _f("010", "  ", "a2-07-036002-4", "dEUR 8.00"),
        _f("100", "  ", "a19930517d1903    m  y0frey50      ba"),
        _f("101", "0 ", "afre", "arus"),
        _f("200", "1 ", "aL'empire des tsars", "eles Russes", "fAnatole Leroy-Beaulieu"),
        _f("210", "  ", "aParis", "cHachette", "d1898"),
        _f("215", "  ", "a670 p.", "d22 cm"),
        _f("300", "  ", "aIndex."),
        _f("330", "  ", "aA survey."),
        _f("371", "0 ", "aDomaine public."),
        _f("410", " 0", "tBibliothèque variée", "v3"),
        _f("517", "1 ", "aLa religion"),
        _f("606", "  ", "aReligion", "yRussie"),
        _f("607", "  ", "aRussie", "xHistoire religieuse"),
        _f("610", "0 ", "atsars", "aorthodoxie"),
        _f("676", "  ", "a947"),
        _f("700", " 1", "aLeroy-Beaulieu", "bAnatole", "f1842-1912"),
        _f("702", " 1", "aDupont", "bJean", "4730"),
        _f("856", "4 ", "uhttps://gallica.example/ark"),
    )
    dc = _dc(r, "unimarc")
    assert dc["title"] == ["L'empire des tsars : les Russes", "La religion"]
    assert dc["creator"] == ["Leroy-Beaulieu, Anatole (1842-1912)"]
    assert dc["contributor"] == ["Dupont, Jean"]
    assert dc["subject"] == ["Religion -- Russie", "tsars", "orthodoxie", "947"]
    assert dc["coverage"] == ["Russie -- Histoire religieuse"]
    assert dc["publisher"] == ["Hachette"]
    assert dc["date"] == ["1898", "1903"]
    assert dc["type"] == ["Text"]
    assert dc["format"] == ["670 p. ; 22 cm"]
    assert dc["identifier"] == ["URN:ISBN:9782070360024", "http://catalogue.bnf.fr/ark:/12148/cb123",
                                "https://gallica.example/ark"]
    assert dc["language"] == ["fre", "rus"]
    assert dc["description"] == ["Index.", "A survey."]
    assert dc["rights"] == ["Domaine public."]
    assert dc["relation"] == ["Bibliothèque variée ; 3"]


def test_authority_record_gives_its_heading():
    """An authority record: heading and see-from forms as titles; no type or identifier."""
    r = pymarc.Record(leader="00000nz  a2200000n  4500")
    r.add_field(
        _f("100", "1 ", "aHafiz,", "dactive 14th century"),
        _f("400", "1 ", "aḤāfiẓ Shīrāzī"),
        _f("670", "  ", "aEncyclopaedia Iranica."),
    )
    dc = _dc(r, "marc21")
    assert dc["title"][0] == "Hafiz, active 14th century"
    assert "Ḥāfiẓ Shīrāzī" in dc["title"]
    assert "type" not in dc and "identifier" not in dc


def test_real_records_all_have_a_title_and_no_blank_values():
    """Every record of the demo MARC 21 and RUSMARC files yields a title, and no empty or padded value."""
    for path, flavour in ((DEMO / "traject-test_data.utf8.mrc", "marc21"), (DEMO / "rusmarc-nlr-cp1251.iso", "unimarc"),
                          (DEMO / "aco-auc-cairo-150.mrc", "marc21")):
        for result in read_records(path, flavour=flavour):
            pairs = record_to_dc(result.record, flavour)
            assert any(e == "title" for e, _ in pairs), path
            assert all(v and v == v.strip() and "  " not in v for _, v in pairs)
            assert all(e in DC_ELEMENTS for e, _ in pairs)

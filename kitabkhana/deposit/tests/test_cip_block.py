"""The CIP data block (kitabkhana/deposit/cip_block.py) on real records from demo/.

Pins: the National Library of Iran's فیپا labels and order for a Persian book, values in Arabic
script from the 880s, the imprint year in the Solar Hijri calendar, hyphenated ISBNs; the LC-style
block (numbered subjects, roman-numbered added entries) with English and Russian labels; clear
errors for a record without title, a bad ISBN, no national bibliography number, a missing font;
and a PDF whose Persian is really laid out right to left and shaped (joined letter forms).
"""

from __future__ import annotations

import copy
import io
import re
from pathlib import Path

import pymarc
import pytest

from kitabkhana.deposit import cip_block
from kitabkhana.deposit.cip_block import CipBlockError, CipFontMissing, cip_block_pdf, cip_block_text
from kitabkhana.marc.reader import read_records

DEMO = Path(__file__).resolve().parents[3] / "demo"

FIPA_ORDER = [
    "سرشناسه", "عنوان و نام پدیدآور", "وضعیت ویراست", "مشخصات نشر", "مشخصات ظاهری", "فروست", "شابک",
    "وضعیت فهرست نویسی", "یادداشت", "موضوع", "شناسه افزوده", "رده بندی کنگره", "رده بندی دیویی",
    "شماره کتابشناسی ملی",
]


def _record(name: str, number: int) -> pymarc.Record:
    for result in read_records(DEMO / name):
        if result.number == number:
            return result.record
    raise LookupError(f"{name} has no record {number}")


def _prepublication(record: pymarc.Record, **extra: list[pymarc.Subfield]) -> pymarc.Record:
    """The record as a cataloguer's CIP record: encoding level 8, plus the given fields."""
    record = copy.deepcopy(record)
    leader = str(record.leader)
    record.leader = pymarc.Leader(leader[:17] + "8" + leader[18:])
    for tag, subfields in extra.items():
        record.add_ordered_field(pymarc.Field(tag=tag.lstrip("f"), indicators=[" ", " "], subfields=subfields))
    return record


def _sf(code: str, value: str) -> pymarc.Subfield:
    return pymarc.Subfield(code=code, value=value)


@pytest.fixture
def persian_lc() -> pymarc.Record:
    """LC's Persian record (romanised fields with Arabic-script 880s), dated 1398 [2019 or 2020]."""
    return _prepublication(_record("lc-convspec-880-fixtures.xml", 1),
                           f082=[_sf("a", "8fa1/3109")], f490=[_sf("a", "کرسی پژوهی حافظ ؛"), _sf("v", "۳")])


@pytest.fixture
def persian_native() -> pymarc.Record:
    """The same kind of book catalogued the Iranian way: Persian text in the fields themselves, no 880s.

    Built from traject's Persian record 17 by moving each 880's text into the field it belongs to.
    """
    source = _record("traject-test_data.utf8.mrc", 17)
    linked = {f["6"][:6]: f for f in source.get_fields("880")}
    record = pymarc.Record(force_utf8=True, leader=source.leader)
    for f in source.fields:
        if f.tag == "880":
            continue
        if f.is_control_field():
            record.add_field(f)
            continue
        link = f.get("6") or ""
        vernacular = linked.get(f"{f.tag}-{link[4:6]}") if link.startswith("880-") else None
        subfields = [sf for sf in (vernacular or f).subfields if sf.code != "6"]
        record.add_field(pymarc.Field(tag=f.tag, indicators=f.indicators, subfields=subfields))
    return _prepublication(record, f020=[_sf("a", "9645625963")], f082=[_sf("a", "955/0843")])


@pytest.fixture
def english() -> pymarc.Record:
    """British Library record: Miller, Shade, large print, Thorndike Press 2002 (015 GBB294748)."""
    return _prepublication(_record("lc-marc2bibframe2-british_library.xml", 8),
                           f700=[_sf("a", "Bethany House Publishers.")])


def _lines(text: str) -> list[tuple[str, str]]:
    return [tuple(line.split(": ", 1)) for line in text.strip().splitlines() if ": " in line]


def test_persian_block_follows_the_fipa_labels_and_order_with_880_values(persian_lc):
    text = cip_block_text(persian_lc, language="per", nbn="5879426")
    lines = _lines(text)
    labels = [label for label, _ in lines]
    assert set(labels) <= set(FIPA_ORDER)
    # The labels come in the National Library of Iran's order (repeatable ones grouped).
    assert [FIPA_ORDER.index(label) for label in labels] == sorted(FIPA_ORDER.index(label) for label in labels)
    values = dict(lines)
    assert values["سرشناسه"] == "پيروزان، هادى"
    assert values["عنوان و نام پدیدآور"].startswith('مجموعۀ "دو سده سخنورى" : زمينه و زمانه\u200cى سخنورى')
    assert "/ هادى پيروزان ؛" in values["عنوان و نام پدیدآور"]
    assert values["وضعیت ویراست"] == "چاپ اول."
    # 264 $c "1398 [2019 or 2020]": the Solar Hijri year alone, in Persian digits.
    assert values["مشخصات نشر"] == "تهران : نشر خاموش، ۱۳۹۸."
    assert values["فروست"] == "کرسی پژوهی حافظ ؛ ۳"
    assert values["وضعیت فهرست نویسی"] == "فیپا"
    assert values["شابک"].startswith("978-622-6942-05-8 (set) ؛ 978-622-6942-02-7 (v.1) ؛ ")
    subjects = [value for label, value in lines if label == "موضوع"]
    assert subjects == ["Persian poetry -- History and criticism", "حافظ", "سعدى", "خواجوى کرمانى، محمود بن على"]
    added = [value for label, value in lines if label == "شناسه افزوده"]
    assert added[0] == "روستا، جمشيد" and added[-1] == "معينى، فرزانه" and len(added) == 11
    assert values["رده بندی کنگره"] == "PK6416 .P57 2019"
    assert values["رده بندی دیویی"] == "8fa1/3109"
    assert values["شماره کتابشناسی ملی"] == "۵۸۷۹۴۲۶"
    assert labels[-1] == "شماره کتابشناسی ملی"
    # No bidi controls from the 880s leak into the printed text; the ZWNJ of Persian spelling stays.
    assert not re.search("[\u200e\u200f\u202a-\u202e]", text)
    assert "\u200c" in text


def test_persian_block_from_a_record_in_persian_script_and_gregorian_imprint_converted(persian_native):
    values = dict(_lines(cip_block_text(persian_native, language="fa", nbn="1")))
    assert values["عنوان و نام پدیدآور"] == (
        "معركۀ جهان\u200cبينىها : در خردورزى سياسى و هويت ما ايرانيان / فرهنگ رجائى.")
    assert values["شابک"] == "964-5625-96-3"
    assert values["مشخصات نشر"] == "تهران : احياء كتاب، ۱۳۷۳."
    assert values["فروست"] == "سپهر فرهنگ و جامعه ؛ 1"
    assert values["رده بندی دیویی"] == "955/0843"

    gregorian = _prepublication(_record("traject-test_data.utf8.mrc", 3))  # 880 260 $c 2000
    values = dict(_lines(cip_block_text(gregorian, language="per", nbn="1")))
    # Gregorian 2000 ran across Solar Hijri 1378 and 1379.
    assert values["مشخصات نشر"] == "تهران : طرح نو، ۱۳۷۸/۱۳۷۹."


def test_english_block_lc_style(english):
    text = cip_block_text(english, language="eng", nbn="")
    assert text.splitlines()[0] == "Cataloguing-in-Publication Data"
    lines = _lines(text)
    assert [label for label, _ in lines] == [
        "Names", "Title", "Edition", "Published", "Description", "Series", "Notes", "ISBN", "Subjects",
        "Added entries", "Classification", "National bibliography number",
    ]
    values = dict(lines)
    assert values["Names"] == "Miller, Calvin, 1936-"
    assert values["Title"] == "Shade / Calvin Miller."
    assert values["Edition"] == "Large print ed."
    assert values["Published"] == "Waterville, Me. : Thorndike Press, 2002, c2001."
    assert values["Description"] == "181 p. (large print) ; 23 cm."
    assert values["Series"] == "(Thorndike Press large print inspirational series)"
    # The two 020s carry the same number: printed once, hyphenated, with the qualifier.
    assert values["ISBN"] == "0-7862-4420-8 (lg. print : hc : alk. paper)"
    assert values["Subjects"] == "1. Large type books. 2. King of Prussia (Pa.) -- Fiction."
    # 490 first indicator 0: the series is not traced, so no "Series." entry.
    assert values["Added entries"] == "I. Bethany House Publishers. II. Title."
    assert values["Classification"] == "LCC PS3563.I376 S48 2002 | DDC 813.54"
    assert values["National bibliography number"] == "GBB294748"  # from 015 when none is given


def test_russian_block_has_russian_labels_and_cyrillic_values():
    record = _prepublication(_record("trln-marc-to-argot-880-fixtures.mrc", 1), f080=[_sf("a", "94(470+474)")])
    text = cip_block_text(record, language="rus", nbn="2000-12345")
    values = dict(_lines(text))
    assert text.splitlines()[0] == "Каталогизация в издании (CIP)"
    assert "Автор" not in values  # title main entry
    assert values["Заглавие"] == "Россия и Балтия / [редакционная коллегия, А.О. Чубарьян (отв. редактор) ... и др.]."
    assert values["Выходные данные"] == "Москва : Ин-т всеобщей истории РАН, 2000-"
    assert values["ISBN"].startswith("5-94067-013-X (v. 1) | 978-5-94067-013-1 (v. 1) | ")
    assert values["Предметные рубрики"].startswith("1. Russia -- Relations -- Baltic States. 2. ")
    assert values["Добавочные описания"] == "I. Чубарьян, A. O. (Александр Оганович)."
    assert values["Классификация"] == "LCC DK502.715 .R677 2000 | UDC 94(470+474)"
    assert values["Номер национальной библиографии"] == "2000-12345"


def test_bad_input_is_refused_with_the_reason(english):
    no_title = copy.deepcopy(english)
    no_title.remove_fields("245")
    with pytest.raises(CipBlockError, match="245"):
        cip_block_text(no_title, language="eng", nbn="1")

    bad_isbn = _prepublication(english, f020=[_sf("a", "0786244209")])
    with pytest.raises(CipBlockError, match=r"020 \$a '0786244209'"):
        cip_block_text(bad_isbn, language="eng", nbn="1")

    no_number = copy.deepcopy(english)
    no_number.remove_fields("015")
    with pytest.raises(CipBlockError, match="national bibliography number"):
        cip_block_text(no_number, language="eng", nbn=" ")

    with pytest.raises(CipBlockError, match="language"):
        cip_block_text(english, language="", nbn="1")


def test_missing_font_names_the_debian_package(english, monkeypatch, tmp_path):
    monkeypatch.setattr(cip_block, "_FONT_DIRS", (str(tmp_path),))
    with pytest.raises(CipFontMissing, match="fonts-noto-core"):
        cip_block_pdf(english, language="eng", nbn="1")


# --- PDF ------------------------------------------------------------------------------------------

pypdf = pytest.importorskip("pypdf")


def _to_unicode(font) -> dict[int, str]:
    cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    mapping: dict[int, str] = {}
    for body in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", body):
            mapping[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be")
    for body in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for lo, hi, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", body):
            for i, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                mapping[code] = chr(int(dst, 16) + i)
    return mapping


def _painted(pdf: bytes) -> tuple[dict[str, object], list[tuple[str, int, str]]]:
    """The one page's fonts and every glyph code painted, in content-stream (visual) order, with its text.

    Bidi isolates (U+2066 to U+2069, paint nothing) are left out of the text.
    """
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    fonts = {name: ref.get_object() for name, ref in page["/Resources"]["/Font"].items()}
    maps = {name: {code: text.strip("\u2066\u2067\u2068\u2069") for code, text in _to_unicode(font).items()}
            for name, font in fonts.items()}
    painted: list[tuple[str, int, str]] = []
    current = None
    for operands, operator in pypdf.generic.ContentStream(page.get_contents(), reader).operations:
        if operator == b"Tf":
            current = operands[0]
        strings = []
        if operator == b"Tj":
            strings = [operands[0]]
        elif operator == b"TJ":
            strings = [item for item in operands[0] if isinstance(item, (bytes, str))]
        for s in strings:
            raw = getattr(s, "original_bytes", s)
            for i in range(0, len(raw), 2):
                code = int.from_bytes(raw[i:i + 2], "big")
                painted.append((current, code, maps[current].get(code, "")))
    return fonts, painted


def test_persian_pdf_is_right_to_left_shaped_and_embeds_its_fonts(persian_lc, cip_fonts):
    pdf = cip_block_pdf(persian_lc, language="per", nbn="5879426")
    assert pdf.startswith(b"%PDF-")
    fonts, painted = _painted(pdf)
    names = {name: str(font["/BaseFont"]) for name, font in fonts.items()}
    assert any(n.endswith("+NotoNaskhArabic") for n in names.values())
    for font in fonts.values():  # embedded, not referenced
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor

    visual = "".join(text for _, _, text in painted)
    # Right to left: Persian words are painted last letter first ("زمينه" as "هنيمز") ...
    assert "هنيمز" in visual and "زمينه" not in visual
    assert "هسانشرس" in visual  # the first label, سرشناسه
    # ... while a Latin call number keeps its left-to-right order, and, the line being a right-to-left
    # paragraph, sits left of its label (a left-to-right line would paint the label first).
    assert "PK6416 .P57 2019 :هرگنک یدنب هدر" in visual

    # Shaped: letters take their joining forms, so one letter is painted with several glyphs (ه
    # initial in هادى, medial in زمانه‌ى?, final in زمينه). Without shaping each letter has one glyph.
    naskh = next(name for name, base in names.items() if base.endswith("+NotoNaskhArabic"))
    glyphs_per_letter: dict[str, set[int]] = {}
    for font, code, text in painted:
        if font == naskh and len(text) == 1 and "\u0621" <= text <= "\u06d3":
            glyphs_per_letter.setdefault(text, set()).add(code)
    assert len(glyphs_per_letter["ه"]) >= 2
    assert len(glyphs_per_letter["س"]) >= 2
    assert sum(len(codes) for codes in glyphs_per_letter.values()) > len(glyphs_per_letter) + 10


def test_english_pdf_is_left_to_right_in_noto_sans(english, cip_fonts):
    pdf = cip_block_pdf(english, language="eng", nbn="GBB294748")
    assert pdf.startswith(b"%PDF-")
    fonts, painted = _painted(pdf)
    assert {str(font["/BaseFont"]).split("+")[1] for font in fonts.values()} == {"NotoSans"}
    visual = "".join(text for _, _, text in painted)
    assert "Shade / Calvin Miller." in visual
    assert "ISBN: 0-7862-4420-8" in visual
    # pypdf reads the same text back.
    assert "Thorndike Press" in pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_arabic_block_has_arabic_labels_and_880_values():
    record = _prepublication(_record("aco-auc-cairo-150.mrc", 1))
    values = dict(_lines(cip_block_text(record, language="ara", nbn="2024/1234")))
    assert values["المؤلف"] == "أرسططاليس."
    assert values["العنوان"].startswith("نظام الأتينيين / لأرسططاليس ؛ ترجمه وشرحه الدكتور طه حسين")
    assert values["بيانات النشر"].startswith("مصر : لجنة التأليف والترجمة والنشر، ")
    assert values["المداخل الإضافية"] == "I. حسين، طه، 1889-1973. II. العنوان."
    assert values["رقم الببليوغرافيا الوطنية"] == "2024/1234"

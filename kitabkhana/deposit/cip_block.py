"""The Cataloguing-in-Publication (CIP) data block printed on a book's copyright page.

Pure Python (no Django): a pre-publication MARC 21 record in, the block out as text or as a one-page
PDF. Persian books get the layout the National Library of Iran prints (فیپا): one labelled line per
element, right to left, imprint year in the Solar Hijri calendar. Other languages get an LC-style
labelled block in ISBD order (main entry; title / responsibility; edition; imprint; extent; series;
notes; ISBN; numbered subjects and roman-numbered added entries; classification; national
bibliography number) with labels in the book's language where we have them, English otherwise.

Values come from the record, in the original script: when a field has a linked 880 (records
catalogued the LC way, romanised with the vernacular alongside) the 880 form is printed, because
the copyright page is read by the book's readers, not by a romanised catalogue.

The PDF is drawn with fpdf2, which shapes Arabic script through HarfBuzz (uharfbuzz) and lays out
right-to-left lines with the Unicode bidi algorithm; fonts are Noto Naskh Arabic and Noto Sans from
the Debian package fonts-noto-core (docs/decisions/0007-cip-block-pdf.md).

The national bibliography (kitabkhana/deposit/bibliography.py) describes its entries with the same
element extraction (``block_elements``) and draws its PDF with the same fonts and shaping
(``pdf_document``, ``pdf_direction_set``, ``isolate``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pymarc
from stdnum import isbn as stdnum_isbn
from stdnum.exceptions import ValidationError as StdnumValidationError

from kitabkhana.marc.derive import strip_isbd
from kitabkhana.scripts.calendars import describe_imprint_year, to_persian_digits

if TYPE_CHECKING:
    from fpdf import FPDF

__all__ = [
    "BlockElements", "CipBlockError", "CipFontMissing", "block_elements", "cip_block_pdf", "cip_block_text",
    "has_arabic_script", "isbd_sentence", "isolate", "pdf_direction_set", "pdf_document", "required_fonts",
]


class CipBlockError(ValueError):
    """The record cannot give a CIP block (no title, a bad ISBN, no national bibliography number)."""


class CipFontMissing(RuntimeError):
    """A font the PDF needs is not installed."""


# --- languages -------------------------------------------------------------------------------------

_PERSIAN = frozenset({"per", "fa", "fas"})
_ARABIC = frozenset({"ara", "ar"})
_RTL = _PERSIAN | _ARABIC | frozenset({"urd", "ur", "heb", "he", "pus", "ps", "kur", "ckb", "uig", "ug"})

# The National Library of Iran's labels, in the order it prints them (فیپا).
_FIPA = {
    "main": "سرشناسه",
    "title": "عنوان و نام پدیدآور",
    "edition": "وضعیت ویراست",
    "imprint": "مشخصات نشر",
    "extent": "مشخصات ظاهری",
    "series": "فروست",
    "isbn": "شابک",
    "status": "وضعیت فهرست نویسی",
    "note": "یادداشت",
    "subject": "موضوع",
    "added": "شناسه افزوده",
    "lcc": "رده بندی کنگره",
    "ddc": "رده بندی دیویی",
    "nbn": "شماره کتابشناسی ملی",
}
_FIPA_STATUS = "فیپا"

# LC-style labels. Keys: heading, main, title, edition, imprint, extent, series, notes, isbn,
# subjects, added, classification, nbn; "title_tracing"/"series_tracing" are the words the
# added-entry tracing uses for "I. Title. II. Series."
_LABELS: dict[str, dict[str, str]] = {
    "eng": {
        "heading": "Cataloguing-in-Publication Data", "main": "Names", "title": "Title", "edition": "Edition",
        "imprint": "Published", "extent": "Description", "series": "Series", "notes": "Notes", "isbn": "ISBN",
        "subjects": "Subjects", "added": "Added entries", "classification": "Classification",
        "nbn": "National bibliography number", "title_tracing": "Title", "series_tracing": "Series",
    },
    "rus": {
        "heading": "Каталогизация в издании (CIP)", "main": "Автор", "title": "Заглавие", "edition": "Издание",
        "imprint": "Выходные данные", "extent": "Физическое описание", "series": "Серия", "notes": "Примечания",
        "isbn": "ISBN", "subjects": "Предметные рубрики", "added": "Добавочные описания",
        "classification": "Классификация", "nbn": "Номер национальной библиографии",
        "title_tracing": "Заглавие", "series_tracing": "Серия",
    },
    "ara": {
        "heading": "الفهرسة أثناء النشر", "main": "المؤلف", "title": "العنوان", "edition": "الطبعة",
        "imprint": "بيانات النشر", "extent": "الوصف المادي", "series": "السلسلة", "notes": "ملاحظات",
        "isbn": "ردمك", "subjects": "الموضوعات", "added": "المداخل الإضافية", "classification": "التصنيف",
        "nbn": "رقم الببليوغرافيا الوطنية", "title_tracing": "العنوان", "series_tracing": "السلسلة",
    },
    "tur": {
        "heading": "Yayın Öncesi Kataloglama (CIP)", "main": "Yazar", "title": "Başlık", "edition": "Baskı",
        "imprint": "Yayın bilgisi", "extent": "Fiziksel tanım", "series": "Dizi", "notes": "Notlar", "isbn": "ISBN",
        "subjects": "Konu başlıkları", "added": "Ek girişler", "classification": "Sınıflama",
        "nbn": "Ulusal bibliyografya numarası", "title_tracing": "Başlık", "series_tracing": "Dizi",
    },
}
_LANGUAGE_ALIASES = {"en": "eng", "ru": "rus", "ar": "ara", "tr": "tur"}


def _language_key(language: str) -> str:
    code = (language or "").strip().lower()
    if not code:
        raise CipBlockError("language: a language code is needed (e.g. 'per', 'eng', 'rus')")
    return code


# --- reading the record ---------------------------------------------------------------------------

# Directional marks and embeddings that LC puts around 880 text; the block sets its own direction.
# ZWNJ (U+200C) is kept: it is part of Persian spelling (جهان‌بینی).
_BIDI_CONTROLS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_NAME_CODES = "abcdq"
_CORPORATE_CODES = "abcdn"
_TITLE_CODES = "abfgknps"
_SUBDIVISIONS = "vxyz"


def _tidy(text: str) -> str:
    return _SPACES.sub(" ", _BIDI_CONTROLS.sub("", text)).strip()


def _value(f: pymarc.Field, codes: str) -> str:
    """The subfields ``codes`` in record order, as transcribed (ISBD punctuation inside kept, end stripped)."""
    return strip_isbd(_tidy(" ".join(sf.value for sf in f.subfields if sf.code in codes and sf.value)))


def has_arabic_script(text: str) -> bool:
    """Whether the text holds Arabic-script letters (Persian, Arabic, Urdu…): it is then laid out right to left."""
    return bool(_ARABIC_SCRIPT.search(text))


def isbd_sentence(text: str) -> str:
    """End a value with a full stop, as ISBD areas and tracings do, unless it already ends with one."""
    return text if not text or text.endswith((".", "?", "!", "-")) else text + "."


class _Vernacular:
    """Finds the 880 that carries the original-script form of a field (``$6 100-01`` ↔ ``$6 880-01``)."""

    def __init__(self, record: pymarc.Record) -> None:
        self._by_link: dict[tuple[str, str], pymarc.Field] = {}
        for f in record.get_fields("880"):
            link = f.get("6") or ""
            tag, _, rest = link.partition("-")
            occurrence = rest[:2]
            if len(tag) == 3 and occurrence.isdigit() and occurrence != "00":
                self._by_link.setdefault((tag, occurrence), f)

    def form(self, f: pymarc.Field) -> pymarc.Field:
        link = f.get("6") or ""
        if link.startswith("880-"):
            return self._by_link.get((f.tag, link[4:6]), f)
        return f


@dataclass
class BlockElements:
    """The descriptive elements of a record, each already in the script it is printed in (the 880 form when
    linked) and without its closing ISBD punctuation: what the CIP block and the national bibliography print.

    ``title`` is "title : other title / statement of responsibility"; ``imprint_place_publisher`` is
    "place : publisher"; ``series`` holds each series statement once; ``isbns`` are hyphenated with their
    qualifiers; ``subjects`` are "heading -- subdivision" strings; ``nbn`` is the 015 $a (or the number given).
    """

    main: str = ""
    title: str = ""
    edition: str = ""
    imprint_place_publisher: str = ""
    imprint_date: str = ""
    extent: str = ""
    series: list[str] = field(default_factory=list)
    series_traced: bool = False
    notes: list[str] = field(default_factory=list)
    isbns: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    lcc: str = ""
    ddc: str = ""
    udc: str = ""
    nbn: str = ""


def _isbns(record: pymarc.Record, *, strict: bool = True) -> list[str]:
    """020 $a hyphenated, each number once, with its qualifier ("978-600-…-1 (v. 1)").

    An invalid number raises CipBlockError, or with ``strict=False`` is kept as the record writes it.
    """
    found: dict[str, list[str]] = {}
    for f in record.get_fields("020"):
        raw = _tidy(f.get("a") or "")
        if not raw:
            continue
        number, _, qualifier = raw.partition(" ")
        try:
            formatted = stdnum_isbn.format(stdnum_isbn.validate(number))
        except StdnumValidationError as exc:
            if strict:
                raise CipBlockError(f"020 $a {raw!r}: not a valid ISBN ({exc})") from exc
            formatted = number
        qualifiers = found.setdefault(formatted, [])
        for q in [qualifier, *f.get_subfields("q")]:
            q = _tidy(q).strip("() ;:")
            if q and q not in qualifiers:
                qualifiers.append(q)
    return [number + "".join(f" ({q})" for q in qualifiers) for number, qualifiers in found.items()]


def _subject(f: pymarc.Field) -> str:
    head_codes = _NAME_CODES + "t" if f.tag in ("600", "610", "611") else "abcdgnpt"
    head = _value(f, head_codes)
    parts = [head] if head else []
    parts += [strip_isbd(_tidy(sf.value)) for sf in f.subfields if sf.code in _SUBDIVISIONS and sf.value]
    return " -- ".join(p for p in parts if p)


def block_elements(record: pymarc.Record, *, nbn: str = "", strict_isbns: bool = True) -> BlockElements:
    """Read the descriptive elements of a MARC 21 record (the 880 vernacular form of a field when linked).

    ``nbn`` overrides the record's 015 $a; the number may be missing here (``nbn == ""``). Raises
    CipBlockError when the record has no title, and for an invalid ISBN unless ``strict_isbns`` is false
    (then the number is kept as written: a published bibliography lists what the record says).
    """
    vern = _Vernacular(record)
    out = BlockElements()

    for tag, codes in (("100", _NAME_CODES), ("110", _CORPORATE_CODES), ("111", "acdn")):
        f = record.get(tag)
        if f is not None:
            out.main = _value(vern.form(f), codes)
            break

    f245 = record.get("245")
    if f245 is None or not _value(f245, "a"):
        raise CipBlockError("245: the record has no title ($a), and a CIP block cannot be made without one")
    f245 = vern.form(f245)
    title = _value(f245, _TITLE_CODES)
    responsibility = _value(f245, "c")
    out.title = f"{title.rstrip(' /')} / {responsibility}" if responsibility else title

    if (f := record.get("250")) is not None:
        out.edition = _value(vern.form(f), "ab")

    # RDA 264 second indicator 1 is publication; AACR2 records use 260.
    imprint = next((f for f in record.get_fields("264") if f.indicator2 == "1"), None) or record.get("260")
    if imprint is not None:
        imprint = vern.form(imprint)
        out.imprint_place_publisher = _value(imprint, "ab").rstrip(" ,،")
        out.imprint_date = _value(imprint, "c")

    if (f := record.get("300")) is not None:
        out.extent = _value(vern.form(f), "abce")

    for f in record.get_fields("490", "440", "830"):
        # A traced 490 (first indicator 1) repeats in its 830; print the series once, as transcribed.
        if f.tag == "830" and any(g.tag in ("490", "440") for g in record.get_fields("490", "440")):
            continue
        text = _value(vern.form(f), "anpv")
        if text and text not in out.series:
            out.series.append(text)
        # An untraced series (490 first indicator 0) gets no added entry.
        out.series_traced = out.series_traced or f.tag != "490" or f.indicator1 == "1"

    # General, dissertation and bibliography notes; contents (505) and summaries (520) would push the
    # block off the copyright page, and CIP blocks leave them out.
    for f in record.get_fields("500", "502", "504"):
        text = _value(vern.form(f), "a")
        if text:
            out.notes.append(text)

    out.isbns = _isbns(record, strict=strict_isbns)

    for f in record.get_fields("600", "610", "611", "630", "650", "651"):
        text = _subject(vern.form(f))
        if text and text not in out.subjects:
            out.subjects.append(text)

    for f in record.get_fields("700", "710", "711"):
        codes = {"700": _NAME_CODES, "710": _CORPORATE_CODES, "711": "acdn"}[f.tag]
        text = _value(vern.form(f), codes)
        if text and text not in out.added:
            out.added.append(text)

    if (f := record.get("050")) is not None:
        out.lcc = " ".join(_tidy(v) for v in f.get_subfields("a", "b"))
    if (f := record.get("082")) is not None:
        out.ddc = _tidy(f.get("a") or "")
    if (f := record.get("080")) is not None:
        out.udc = " ".join(_tidy(v) for v in f.get_subfields("a", "b"))

    record_nbn = record.get("015")
    out.nbn = _tidy(nbn or "") or (_tidy(record_nbn.get("a") or "") if record_nbn is not None else "")
    return out


def _block(record: pymarc.Record, *, nbn: str) -> BlockElements:
    out = block_elements(record, nbn=nbn)
    if not out.nbn:
        raise CipBlockError("nbn: no national bibliography number was given and the record has no 015 $a")
    return out


# --- text ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Line:
    """One labelled element. A list value (several ISBNs, numbered subjects) keeps its items apart so
    the PDF can lay each out in its own direction: "978-622-… (v.1) ؛ 978-622-… (v.2)" in a
    right-to-left line would otherwise be reordered across the separators."""

    label: str
    parts: tuple[str, ...]
    joiner: str = ""

    @property
    def value(self) -> str:
        return self.joiner.join(self.parts)


def _line(label: str, parts: list[str] | str, joiner: str = "") -> list[_Line]:
    parts = [parts] if isinstance(parts, str) else parts
    parts = [p for p in parts if p]
    return [_Line(label, tuple(parts), joiner)] if parts else []


def _persian_lines(b: BlockElements) -> list[_Line]:
    date = b.imprint_date
    described = describe_imprint_year(date, None) if date else None
    if described:
        # The copyright page of a Persian book carries the Solar Hijri year, in Persian digits.
        date = described["solar_hijri_fa"]
    imprint = "، ".join(p for p in (b.imprint_place_publisher, date) if p)
    lines: list[_Line] = []

    def add(key: str, value: str | list[str], joiner: str = "") -> None:
        lines.extend(_line(_FIPA[key], value, joiner))

    add("main", b.main)
    add("title", isbd_sentence(b.title))
    add("edition", isbd_sentence(b.edition))
    add("imprint", isbd_sentence(imprint))
    add("extent", isbd_sentence(b.extent))
    for s in b.series:
        add("series", s)
    add("isbn", b.isbns, " ؛ ")
    add("status", _FIPA_STATUS)
    for n in b.notes:
        add("note", isbd_sentence(n))
    for s in b.subjects:
        add("subject", s)
    for a in b.added:
        add("added", a)
    add("lcc", b.lcc)
    add("ddc", b.ddc)
    add("nbn", to_persian_digits(b.nbn))
    return lines


def _lc_lines(b: BlockElements, labels: dict[str, str]) -> list[_Line]:
    comma = "، " if has_arabic_script(b.imprint_place_publisher) else ", "
    imprint = comma.join(p for p in (b.imprint_place_publisher, b.imprint_date) if p)
    tracings = [f"{_roman(i)}. {isbd_sentence(name)}" for i, name in enumerate(b.added, start=1)]
    if b.main:  # with a name as main entry, the title gets an added entry of its own
        tracings.append(f"{_roman(len(tracings) + 1)}. {labels['title_tracing']}.")
    if b.series_traced:
        tracings.append(f"{_roman(len(tracings) + 1)}. {labels['series_tracing']}.")
    classification = [
        f"{scheme} {value}" for scheme, value in (("LCC", b.lcc), ("DDC", b.ddc), ("UDC", b.udc)) if value
    ]
    rows: list[tuple[str, list[str] | str, str]] = [
        ("main", isbd_sentence(b.main), ""),
        ("title", isbd_sentence(b.title), ""),
        ("edition", isbd_sentence(b.edition), ""),
        ("imprint", isbd_sentence(imprint), ""),
        ("extent", isbd_sentence(b.extent), ""),
        ("series", [f"({s})" for s in b.series], " | "),
        ("notes", [isbd_sentence(n) for n in b.notes], " "),
        ("isbn", b.isbns, " | "),
        ("subjects", [f"{i}. {isbd_sentence(s)}" for i, s in enumerate(b.subjects, start=1)], " "),
        ("added", tracings, " "),
        ("classification", classification, " | "),
        ("nbn", b.nbn, ""),
    ]
    return [line for key, value, joiner in rows for line in _line(labels[key], value, joiner)]


_ROMAN = (("M", 1000), ("CM", 900), ("D", 500), ("CD", 400), ("C", 100), ("XC", 90), ("L", 50), ("XL", 40),
          ("X", 10), ("IX", 9), ("V", 5), ("IV", 4), ("I", 1))


def _roman(n: int) -> str:
    out = ""
    for numeral, value in _ROMAN:
        while n >= value:
            out += numeral
            n -= value
    return out


@dataclass(frozen=True)
class _Layout:
    heading: str
    lines: list[_Line]
    rtl: bool
    persian: bool


def _layout(record: pymarc.Record, *, language: str, nbn: str) -> _Layout:
    code = _language_key(language)
    block = _block(record, nbn=nbn)
    if code in _PERSIAN:
        return _Layout(heading="", lines=_persian_lines(block), rtl=True, persian=True)
    labels = _LABELS.get(_LANGUAGE_ALIASES.get(code, code), _LABELS["eng"])
    return _Layout(heading=labels["heading"], lines=_lc_lines(block, labels), rtl=code in _RTL, persian=False)


def cip_block_text(record: pymarc.Record, *, language: str, nbn: str) -> str:
    """The CIP block as plain text, one labelled element per line, in logical (reading) order.

    ``language`` is the book's language (MARC code or ISO 639-1: "per"/"fa", "ara", "eng", "rus",
    "tur", …); Persian gives the National Library of Iran's فیپا layout, the others an LC-style
    block. ``nbn`` is the national bibliography number (the record's 015 $a when empty).
    Raises CipBlockError when the record has no title, an ISBN is invalid or there is no number.
    """
    layout = _layout(record, language=language, nbn=nbn)
    lines = [layout.heading] if layout.heading else []
    lines += [f"{line.label}: {line.value}" for line in layout.lines]
    return "\n".join(lines) + "\n"


# --- PDF -------------------------------------------------------------------------------------------

_DEBIAN_FONT_PACKAGE = "fonts-noto-core"
_FONT_DIRS = (
    "/usr/share/fonts/truetype/noto",  # Debian, Ubuntu (fonts-noto-core)
    "/usr/share/fonts/noto",  # Arch (noto-fonts)
    "/usr/share/fonts/google-noto",  # Fedora
    "/usr/share/fonts/google-noto-vf",
    "/usr/local/share/fonts",
    "/Library/Fonts",  # macOS, fonts installed by hand
)
_ARABIC_FONT = "NotoNaskhArabic-Regular.ttf"
_LATIN_FONT = "NotoSans-Regular.ttf"  # Latin, Cyrillic and Greek (romanised values, ISBNs, call numbers)


def required_fonts() -> tuple[Path, Path]:
    """The Arabic-script and the Latin font files; CipFontMissing names the package when absent."""
    return _font_path(_ARABIC_FONT), _font_path(_LATIN_FONT)


def _font_path(name: str) -> Path:
    for directory in _FONT_DIRS:
        path = Path(directory) / name
        if path.is_file():
            return path
    raise CipFontMissing(
        f"font {name} not found in {', '.join(_FONT_DIRS)}: install the Debian package {_DEBIAN_FONT_PACKAGE} "
        f"(apt-get install {_DEBIAN_FONT_PACKAGE})"
    )


# A5 portrait, the usual size of a copyright page, in millimetres.
_PAGE = (148.0, 210.0)
_MARGIN = 15.0
_FONT_SIZE = 9.0
_LINE_HEIGHT = 5.0
_LRI, _RLI, _PDI = "\u2066", "\u2067", "\u2069"


def isolate(part: str) -> str:
    """The text wrapped in a directional isolate, so it keeps its own order inside a line of the other direction.

    Right to left as soon as the part holds Arabic script, not by its first letter: a tracing
    "I. حسين، طه" starts with a Latin numeral but is an Arabic heading.
    """
    return f"{_RLI if has_arabic_script(part) else _LRI}{part}{_PDI}"


def pdf_document(*, page: tuple[float, float] | str, margin: float, title: str) -> FPDF:
    """A new fpdf2 document with the Noto fonts embedded (families ``arabic`` and ``latin``) and one page added.

    Raises CipFontMissing (naming the Debian package) when the fonts are not installed. Set the direction,
    the fonts and the shaping with pdf_direction_set before writing.
    """
    from fpdf import FPDF  # imported here so the text block works where fpdf2 is not installed

    arabic, latin = required_fonts()
    pdf = FPDF(orientation="P", unit="mm", format=page)
    pdf.set_title(title)
    pdf.set_creator("Kitabkhana")
    pdf.set_margins(margin, margin, margin)
    pdf.set_auto_page_break(auto=True, margin=margin)
    pdf.add_page()
    pdf.add_font("arabic", fname=str(arabic))
    pdf.add_font("latin", fname=str(latin))
    return pdf


def pdf_direction_set(pdf: FPDF, *, rtl: bool, persian: bool, size: float) -> None:
    """Lay out what follows right to left (Noto Naskh Arabic first, shaped by HarfBuzz) or left to right.

    ``persian`` asks the font for the Persian language system: its own forms (the digits ۴ ۵ ۶ differ
    from the Arabic ٤ ٥ ٦). HarfBuzz finds each run's script itself: forcing Arabic on every run of a
    right-to-left line makes fpdf2 2.8 mangle Latin ligatures there ("Unclassified" painted "Unclassfiied").
    """
    primary, fallback = ("arabic", "latin") if rtl else ("latin", "arabic")
    pdf.set_font(primary, size=size)
    # Characters the primary font lacks (Latin in a Persian block, Arabic script in an English one)
    # come from the other font.
    pdf.set_fallback_fonts([fallback])
    pdf.set_text_shaping(
        use_shaping_engine=True,
        direction="rtl" if rtl else "ltr",
        script=None,
        language="fas" if persian else None,
    )


def cip_block_pdf(record: pymarc.Record, *, language: str, nbn: str) -> bytes:
    """The CIP block as a one-page A5 PDF with its fonts embedded, ready to place on the copyright page.

    Right-to-left languages are laid out right to left with Arabic-script shaping (HarfBuzz);
    other languages left to right. Same arguments and errors as cip_block_text, plus
    CipFontMissing when Noto Naskh Arabic / Noto Sans (Debian fonts-noto-core) is not installed.
    """
    layout = _layout(record, language=language, nbn=nbn)
    pdf = pdf_document(page=_PAGE, margin=_MARGIN, title=layout.heading or "فیپا")
    pdf_direction_set(pdf, rtl=layout.rtl, persian=layout.persian, size=_FONT_SIZE)
    align = "R" if layout.rtl else "L"

    top = pdf.get_y()
    if layout.heading:
        pdf.multi_cell(w=0, h=_LINE_HEIGHT + 1, text=layout.heading, align=align, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    for line in layout.lines:
        # Each value (each item of a list) is a first-strong isolate, so a Latin value ("323 p. ;
        # 22 cm.", an ISBN) in a right-to-left block keeps its own order and its full stop instead
        # of being reordered around the label and its neighbours.
        value = line.joiner.join(isolate(part) for part in line.parts)
        text = f"{line.label}: {value}"
        pdf.multi_cell(w=0, h=_LINE_HEIGHT, text=text, align=align, new_x="LMARGIN", new_y="NEXT")
    # The printed block sits in a frame, so the printer cannot mistake where it ends (a block too
    # long for one page is left unframed rather than framed wrongly).
    if pdf.page == 1:
        pdf.rect(_MARGIN - 2, top - 2, _PAGE[0] - 2 * _MARGIN + 4, pdf.get_y() - top + 4)
    return bytes(pdf.output())

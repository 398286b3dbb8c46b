"""Fields derived from one MARC 21 or UNIMARC record for display, the search index and facets.

``summarise`` walks a record's fields once (plus one pass over the short list it keeps) and returns a
``RecordSummary``: plain strings and lists that the index, the OPAC page and the citation export
read without knowing MARC. Vernacular text in MARC 21 880 fields is paired with the romanised field it
shadows through subfield $6 ("245 $6 880-02" <-> "880 $6 245-02/(3/r"), so a display line carries both.

This module is pure Python (no Django); it runs once per record on imports of a million records, so
the work per field is a dictionary lookup and a few string joins, and all patterns compile at import.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

import pymarc
from stdnum import isbn as stdnum_isbn
from stdnum import issn as stdnum_issn
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

__all__ = ["DisplayField", "RecordSummary", "LABELS", "summarise"]

# The one place display labels are spelled, so that a translation layer can map them later.
LABELS: dict[str, str] = {
    "title": "Title",
    "uniform_title": "Uniform title",
    "other_titles": "Other titles",
    "author": "Author",
    "other_authors": "Other authors",
    "edition": "Edition",
    "published": "Published",
    "physical": "Physical description",
    "series": "Series",
    "notes": "Notes",
    "contents": "Contents",
    "summary": "Summary",
    "subjects": "Subjects",
    "isbn": "ISBN",
    "issn": "ISSN",
    "language": "Language",
    "heading": "Heading",
    "see_from": "See from",
    "see_also": "See also",
    "sources": "Sources",
}


@dataclass(slots=True)
class DisplayField:
    label: str
    value: str
    original: str | None = None
    direction: str = "ltr"
    tag: str = ""


@dataclass(slots=True)
class RecordSummary:
    kind: str = "bibliographic"
    title: str = ""
    title_original: str | None = None
    titles: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    year: int | None = None
    date_text: str = ""
    publisher: str = ""
    place: str = ""
    material_type: str = ""
    isbns: list[str] = field(default_factory=list)
    issns: list[str] = field(default_factory=list)
    invalid_identifiers: list[str] = field(default_factory=list)
    control_number: str = ""
    control_agency: str = ""
    other_numbers: list[str] = field(default_factory=list)
    display: list[DisplayField] = field(default_factory=list)
    edition: str = ""
    series: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    script_codes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------------
# Text helpers

# Marks (RLM/LRM, ALM) that catalogues put around ISBD punctuation are trimmed with it. Embeddings and
# isolates (LRE…PDF, LRI…PDI) are kept: LC wraps a Latin-digit date inside Arabic-script text in
# them ("‪1398 [2019 or 2020]‬"), and without them a right-to-left page shows "[or 2020 2019] 1398".
# The search index drops all of them (scripts.normalise), so they never affect matching.
# An opener left at the end of a value (its text went to the next subfield) or a closer at the start
# is trimmed too.
_MARKS = "\u200e\u200f\u061c"
_OPENERS = "\u202a\u202b\u202d\u202e\u2066\u2067\u2068"
_CLOSERS = "\u202c\u2069"
_TRAIL = " /:;,.=\u060c\u061b" + _MARKS + _OPENERS  # includes the Arabic comma and semicolon
_TRAIL_NO_PERIOD = " /:;,=\u060c\u061b" + _MARKS + _OPENERS
_LEAD = " " + _MARKS + _CLOSERS


# Non-sorting marks: UNIMARC's NSB/NSE (U+0088/U+0089) and MARC-8's (U+0098/U+009C) bracket an article
# that filing skips ("\x88al-\x89ʻAqlānī"); they are instructions, not text.
_NON_SORTING = str.maketrans("", "", "\x88\x89\x98\x9c")


def strip_isbd(text: str) -> str:
    """Strip ISBD end punctuation, but keep the period of a closing initial ("Smith, A. O.")."""
    text = text.strip(_LEAD).rstrip(_TRAIL_NO_PERIOD)
    while text.endswith("."):
        n = len(text)
        # "A. O." or "J." : the period belongs to an initial.
        if n >= 2 and text[-2].isalpha() and (n == 2 or text[-3] in " .-"):
            break
        text = text[:-1].rstrip(_TRAIL_NO_PERIOD)
    return text


def _join(f: pymarc.Field, codes: str | frozenset[str]) -> str:
    return " ".join(sf.value for sf in f.subfields if sf.code in codes and sf.value)


def _first(f: pymarc.Field, code: str) -> str:
    for sf in f.subfields:
        if sf.code == code and sf.value:
            return sf.value
    return ""


def _add(seq: list[str], value: str) -> None:
    if value and value not in seq:
        seq.append(value)


# Subdivisions start a new " -- " component of a heading (MARC 21 $v $x $y $z; UNIMARC adds $j form).
_SUBDIV_MARC21 = frozenset("vxyz")
_SUBDIV_UNIMARC = frozenset("jxyz")
_HEADING_SKIP_MARC21 = frozenset("0123456789ehiw")
_HEADING_SKIP_UNIMARC = frozenset("0123456789")


def _heading(f: pymarc.Field, subdiv: frozenset[str], skip: frozenset[str], unimarc: bool = False) -> str:
    parts: list[str] = []
    current: list[str] = []
    for code, value in f.subfields:
        if code in skip or not value:
            continue
        if code in subdiv:
            if current:
                parts.append(strip_isbd(" ".join(current)))
            current = [value]
        elif unimarc and code == "b" and current:
            # UNIMARC keeps names unpunctuated: "Стрыгин" $b "В. З." reads "Стрыгин, В. З.".
            current[-1] = f"{current[-1]}, {value}"
        else:
            current.append(value)
    if current:
        parts.append(strip_isbd(" ".join(current)))
    return " -- ".join(p for p in parts if p)


# --------------------------------------------------------------------------------------------------
# Scripts and direction

# (first code point, last code point, ISO 15924 code); sorted by start for bisect.
_SCRIPT_RANGES: list[tuple[int, int, str]] = sorted([
    (0x0041, 0x005A, "Latn"), (0x0061, 0x007A, "Latn"), (0x00C0, 0x024F, "Latn"), (0x1E00, 0x1EFF, "Latn"),
    (0x0370, 0x03FF, "Grek"), (0x1F00, 0x1FFF, "Grek"),
    (0x0400, 0x052F, "Cyrl"), (0x1C80, 0x1C8F, "Cyrl"), (0x2DE0, 0x2DFF, "Cyrl"), (0xA640, 0xA69F, "Cyrl"),
    (0x0530, 0x058F, "Armn"), (0xFB13, 0xFB17, "Armn"),
    (0x0590, 0x05FF, "Hebr"), (0xFB1D, 0xFB4F, "Hebr"),
    (0x0600, 0x06FF, "Arab"), (0x0750, 0x077F, "Arab"), (0x08A0, 0x08FF, "Arab"),
    (0xFB50, 0xFDFF, "Arab"), (0xFE70, 0xFEFF, "Arab"),
    (0x0700, 0x074F, "Syrc"), (0x0780, 0x07BF, "Thaa"),
    (0x0900, 0x097F, "Deva"), (0x0980, 0x09FF, "Beng"), (0x0A00, 0x0A7F, "Guru"), (0x0A80, 0x0AFF, "Gujr"),
    (0x0B80, 0x0BFF, "Taml"), (0x0E00, 0x0E7F, "Thai"), (0x0F00, 0x0FFF, "Tibt"),
    (0x10A0, 0x10FF, "Geor"), (0x1100, 0x11FF, "Hang"), (0x1200, 0x139F, "Ethi"),
    (0x3040, 0x309F, "Hira"), (0x30A0, 0x30FF, "Kana"), (0x3130, 0x318F, "Hang"),
    (0x3400, 0x4DBF, "Hani"), (0x4E00, 0x9FFF, "Hani"), (0xAC00, 0xD7AF, "Hang"), (0xF900, 0xFAFF, "Hani"),
    (0x20000, 0x2FA1F, "Hani"),
])
_SCRIPT_STARTS = [r[0] for r in _SCRIPT_RANGES]
_SCRIPT_ORDER = ["Latn", "Arab", "Hebr", "Syrc", "Thaa", "Cyrl", "Grek", "Armn", "Geor", "Deva", "Beng",
                 "Guru", "Gujr", "Taml", "Thai", "Tibt", "Ethi", "Hani", "Hira", "Kana", "Hang"]
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_ASCII_LETTER = re.compile("[A-Za-z]")


def _script_of(ch: str) -> str:
    cp = ord(ch)
    i = bisect_right(_SCRIPT_STARTS, cp) - 1
    return _SCRIPT_RANGES[i][2] if i >= 0 and cp <= _SCRIPT_RANGES[i][1] else ""


@lru_cache(maxsize=512)
def _finder(found: frozenset[str]) -> re.Pattern[str] | None:
    """One character class for every script not yet seen (sre turns it into a table lookup per character)."""
    ranges = "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b, code in _SCRIPT_RANGES if code not in found and a >= 0xC0)
    return re.compile(f"[{ranges}]") if ranges else None


def scripts_of(texts: list[str]) -> list[str]:
    found: set[str] = set()
    rest: list[str] = []
    for text in texts:
        if "Latn" not in found and _ASCII_LETTER.search(text):
            found.add("Latn")
        if not text.isascii():
            rest.append(text)
    if rest:
        # Each search runs in C up to the first character of a script not seen yet, so a record costs one
        # scan of its text per script it uses rather than a Python step per character.
        text = "\n".join(rest)
        pos = 0
        while (finder := _finder(frozenset(found))) is not None:
            m = finder.search(text, pos)
            if m is None:
                break
            found.add(_script_of(m.group()))
            pos = m.start() + 1
    return [s for s in _SCRIPT_ORDER if s in found]


def _direction(value: str, original: str | None, rtl_flag: bool = False) -> str:
    if rtl_flag or (original and _RTL.search(original)) or _RTL.search(value):
        return "rtl"
    return "ltr"


# --------------------------------------------------------------------------------------------------
# Dates

_YEAR_RUN = re.compile(r"(?<!\d)(\d{4})(?!\d)")  # \d also matches Persian and Arabic-Indic digits
_PERSIAN_DIGITS = re.compile("[\u06f0-\u06f9]")
_ARABIC_DIGITS = re.compile("[\u0660-\u0669]")


def _year_from_text(text: str) -> int | None:
    """The Gregorian year of an imprint date as written; Hijri years are converted approximately.

    Iranian and Arab imprints give Solar (1399 ش) or lunar (1420 هـ) Hijri years, often followed by the
    Gregorian equivalent in brackets ("1339, 1921"); a later plausible Gregorian year wins.
    """
    if not text:
        return None
    years = [int(m) for m in _YEAR_RUN.findall(text)]
    if not years:
        return None
    first = years[0]
    if 1200 <= first <= 1450:
        for later in years[1:]:
            if 1500 <= later <= 2100:
                return later
        if _PERSIAN_DIGITS.search(text) or "ش" in text:
            return first + 621
        if _ARABIC_DIGITS.search(text) or "ه" in text or "ق" in text:
            return round(first * 0.970229 + 621.5643)
    return first if first > 0 else None


# --------------------------------------------------------------------------------------------------
# Identifiers

_ID_TOKEN = re.compile(r"[0-9Xx][0-9Xx\- ]*[0-9Xx]")
_REASONS = ((InvalidChecksum, "invalid checksum"), (InvalidLength, "invalid length"),
            (InvalidFormat, "invalid format"), (InvalidComponent, "invalid component"))


def _reason(exc: Exception) -> str:
    for cls, text in _REASONS:
        if isinstance(exc, cls):
            return text
    return "invalid"


def _id_candidate(value: str) -> str:
    # "594067013X (v. 1)", "978-5-94067-013-1 : 200 руб." -> the digits before any qualifier.
    m = _ID_TOKEN.search(value.split("(", 1)[0].split(":", 1)[0])
    return m.group(0).replace(" ", "") if m else value.strip()


def _isbn(tag: str, value: str, out: RecordSummary) -> None:
    candidate = _id_candidate(value)
    try:
        number = stdnum_isbn.validate(candidate, convert=True)
    except Exception as exc:  # stdnum raises ValidationError subclasses; anything else is just as invalid
        out.invalid_identifiers.append(f"{tag} $a {value.strip().rstrip(' :;')}: {_reason(exc)}")
        return
    _add(out.isbns, number)


def _issn(tag: str, value: str, out: RecordSummary) -> None:
    candidate = _id_candidate(value)
    try:
        number = stdnum_issn.validate(candidate)
    except Exception as exc:
        out.invalid_identifiers.append(f"{tag} $a {value.strip().rstrip(' :;')}: {_reason(exc)}")
        return
    _add(out.issns, f"{number[:4]}-{number[4:]}")


# --------------------------------------------------------------------------------------------------
# Material type

_MARC21_TYPES = {
    "a": "book", "t": "manuscript", "c": "score", "d": "score", "e": "map", "f": "map", "g": "video",
    "i": "sound", "j": "music", "k": "image", "m": "computer", "o": "kit", "p": "mixed", "r": "object",
    "z": "authority", "u": "holdings", "v": "holdings", "x": "holdings", "y": "holdings",
}
_UNIMARC_TYPES = {
    "a": "book", "b": "manuscript", "c": "score", "d": "score", "e": "map", "f": "map", "g": "video",
    "i": "sound", "j": "music", "k": "image", "l": "computer", "m": "kit", "r": "object",
    "x": "authority", "y": "authority", "z": "authority",
}


def _material_type(leader: str, unimarc: bool) -> str:
    kind = (_UNIMARC_TYPES if unimarc else _MARC21_TYPES).get(leader[6], "other")
    if kind == "book" and leader[7] in "sib":
        return "serial"
    return kind


# --------------------------------------------------------------------------------------------------
# MARC 21

# tag -> (label key, rank in catalogue order, subfields shown)
_ALPHA = frozenset("abcdefghijklmnopqrstuvwxyz")
_M21_BIB: dict[str, tuple[str, int, frozenset[str]]] = {}


def _reg(table: dict[str, tuple[str, int, frozenset[str]]], tags: str, label: str, rank: int, codes: str | frozenset[str]) -> None:
    for tag in tags.split():
        table[tag] = (label, rank, frozenset(codes))


_reg(_M21_BIB, "245", "title", 10, "abcfghknps")
_reg(_M21_BIB, "130 240", "uniform_title", 12, "adfghklmnoprst")
_reg(_M21_BIB, "242 246 247 740", "other_titles", 14, "abfghnp")
_reg(_M21_BIB, "730", "other_titles", 14, "adfghklmnoprst")
_reg(_M21_BIB, "100", "author", 20, "abcdqj")
_reg(_M21_BIB, "110", "author", 20, "abcdn")
_reg(_M21_BIB, "111", "author", 20, "acdenq")
_reg(_M21_BIB, "700", "other_authors", 22, "abcdqj")
_reg(_M21_BIB, "710", "other_authors", 22, "abcdn")
_reg(_M21_BIB, "711", "other_authors", 22, "acdenq")
_reg(_M21_BIB, "720", "other_authors", 22, "a")
_reg(_M21_BIB, "250 251", "edition", 30, "ab")
_reg(_M21_BIB, "260", "published", 40, "abcefg")
_reg(_M21_BIB, "264", "published", 40, "abc")
_reg(_M21_BIB, "300", "physical", 50, "abcefg")
_reg(_M21_BIB, "490", "series", 60, "alvx")
_reg(_M21_BIB, "800 810 811 830", "series", 60, "abcdefghklmnopqrstv")
for _t in range(500, 600):
    _M21_BIB[str(_t)] = ("notes", 70, _ALPHA)
_M21_BIB["505"] = ("contents", 70, _ALPHA)
_M21_BIB["520"] = ("summary", 70, _ALPHA)
for _t in (600, 610, 611, 630, 647, 648, 650, 651, 653, 654, 655, 656, 657, 658, 662, 688):
    _M21_BIB[str(_t)] = ("subjects", 80, _ALPHA)
_reg(_M21_BIB, "020", "isbn", 90, "aq")
_reg(_M21_BIB, "022", "issn", 91, "a")

# Name added entries end where a title ($t) begins: authors list names, not works.
_M21_NAME_TAGS = frozenset("100 110 111 700 710 711 720".split())
_M21_TITLE_TAGS = frozenset("130 240 242 246 247 730 740".split())
_M21_SERIES_TAGS = frozenset("490 800 810 811 830".split())
_M21_OTHER_NUMBER_TAGS = frozenset("010 015 016 017 024 025 027 028 030 032 035 037 074 086 088".split())

_M21_AUTH: dict[str, tuple[str, int, frozenset[str]]] = {}
for _t in ("100", "110", "111", "130", "147", "148", "150", "151", "155", "162", "180", "181", "182", "185"):
    _M21_AUTH[_t] = ("heading", 10, _ALPHA)
    _M21_AUTH["4" + _t[1:]] = ("see_from", 20, _ALPHA)
    _M21_AUTH["5" + _t[1:]] = ("see_also", 30, _ALPHA)
_M21_AUTH["670"] = ("sources", 40, _ALPHA)
for _t in ("663", "664", "665", "666", "667", "675", "678", "680", "681", "688"):
    _M21_AUTH[_t] = ("notes", 50, _ALPHA)


def _link_occurrence(value: str) -> tuple[str, str, bool]:
    """Parse $6 "245-02/(3/r" into ("245", "02", right_to_left)."""
    link, _, script = value.partition("/")
    tag, _, occ = link.partition("-")
    return tag.strip(), occ.strip()[:2], script.endswith("/r") or script == "r"


def _marc21(record: pymarc.Record, out: RecordSummary) -> None:
    authority = out.kind == "authority"
    table = _M21_AUTH if authority else _M21_BIB
    regular: list[pymarc.Field] = []
    linked: dict[str, pymarc.Field] = {}
    unlinked: list[pymarc.Field] = []
    f008 = ""
    for f in record.fields:
        tag = f.tag
        if tag == "880":
            link = _first(f, "6")
            _, occ, _ = _link_occurrence(link)
            if occ and occ != "00" and occ not in linked:
                linked[occ] = f
            else:
                unlinked.append(f)
        elif tag < "010" and tag.isdigit():
            if tag == "008":
                f008 = f.data or ""
        else:
            regular.append(f)

    entries: list[tuple[int, int, DisplayField]] = []
    texts: list[str] = []
    imprints: list[tuple[int, pymarc.Field]] = []  # (preference, field)
    n = 0

    def handle(tag: str, f: pymarc.Field, orig: pymarc.Field | None, rtl: bool) -> None:
        nonlocal n
        spec = table.get(tag)
        if tag in _M21_NAME_TAGS and not authority:
            codes = spec[2] if spec else _ALPHA
            value = strip_isbd(_name_part(f, codes))
            original = strip_isbd(_name_part(orig, codes)) if orig is not None else None
            _add(out.authors, value)
            if original:
                _add(out.authors, original)
        elif authority and spec is not None and spec[0] in ("heading", "see_from", "see_also"):
            value = _heading(f, _SUBDIV_MARC21, _HEADING_SKIP_MARC21)
            original = _heading(orig, _SUBDIV_MARC21, _HEADING_SKIP_MARC21) if orig is not None else None
            if spec[0] == "heading":
                if not out.title:
                    out.title = value
                    out.title_original = original
            else:
                _add(out.titles, value)
                if original:
                    _add(out.titles, original)
        elif spec is None:
            return
        elif spec[0] == "subjects":
            value = _heading(f, _SUBDIV_MARC21, _HEADING_SKIP_MARC21)
            original = _heading(orig, _SUBDIV_MARC21, _HEADING_SKIP_MARC21) if orig is not None else None
            _add(out.subjects, value)
            if original:
                _add(out.subjects, original)
        else:
            codes = spec[2]
            value = strip_isbd(_join(f, codes))
            original = strip_isbd(_join(orig, codes)) if orig is not None else None
            if tag == "245":
                title = strip_isbd(_join(f, "abfgknps"))
                if f.tag == "880":  # an unlinked vernacular title: the record has no romanised one
                    if out.title_original is None:
                        out.title_original = title or None
                    if not out.title:
                        out.title = title
                elif not out.title:
                    out.title = title
                    if orig is not None:
                        out.title_original = strip_isbd(_join(orig, "abfgknps")) or None
            elif tag in _M21_TITLE_TAGS:
                _add(out.titles, value)
                if original:
                    _add(out.titles, original)
            elif tag in _M21_SERIES_TAGS:
                _add(out.series, value)
            elif spec[0] in ("notes", "contents", "summary"):
                out.notes.append(value)
            elif tag in ("250", "251"):
                if not out.edition:
                    out.edition = value
            elif tag == "264":
                imprints.append((0 if f.indicator2 == "1" else 2, f))
            elif tag == "260":
                imprints.append((1, f))
        if not value and not original:
            return
        if spec is not None and spec[1] < 70:  # long notes add cost but no script the headings lack
            texts.append(value)
            if original:
                texts.append(original)
        if spec is not None:
            n += 1
            entries.append((spec[1], n, DisplayField(LABELS[spec[0]], value, original or None,
                                                     _direction(value, original, rtl), tag)))

    for f in regular:
        tag = f.tag
        orig = None
        rtl = False
        link = _first(f, "6") if tag in table or tag in _M21_NAME_TAGS else ""
        if link.startswith("880"):
            orig = linked.pop(link[4:6], None)
            if orig is not None:
                rtl = _link_occurrence(_first(orig, "6"))[2]
        if tag == "020":
            _standard_numbers(f, _isbn, {"z": "cancelled or invalid"}, out)
        elif tag == "022":
            _standard_numbers(f, _issn, {"y": "incorrect", "z": "cancelled"}, out)
        elif tag == "041":
            for code, v in f.subfields:
                if code == "a":
                    v = v.strip().lower()
                    if len(v) % 3 == 0:
                        for i in range(0, len(v), 3):
                            _language(v[i:i + 3], out.languages)
            continue
        elif tag in _M21_OTHER_NUMBER_TAGS:
            _add(out.other_numbers, _first(f, "a").strip())
            continue
        elif tag == "377" and authority:
            for code, v in f.subfields:
                if code == "a":
                    _language(v.strip().lower(), out.languages)
            continue
        handle(tag, f, orig, rtl)

    # Vernacular fields whose romanised partner is missing still show, under the partner's label.
    for f in (*linked.values(), *unlinked):
        link = _first(f, "6")
        tag, _, rtl = _link_occurrence(link)
        if tag and tag != "880":
            handle(tag, f, None, rtl)

    if imprints:
        imprints.sort(key=lambda p: p[0])
        chosen = imprints[0][1]
        out.place = strip_isbd(_first(chosen, "a")).strip("[]")
        out.publisher = strip_isbd(_first(chosen, "b")).strip("[]")
        out.date_text = strip_isbd(_first(chosen, "c"))
        if not out.date_text:
            for _, f in imprints:
                out.date_text = strip_isbd(_first(f, "c"))
                if out.date_text:
                    break

    if len(f008) >= 38 and not authority:
        code = f008[35:38].lower()
        if code.isascii() and code.isalpha():
            # 008/35-37 is the main language; it leads the 041 codes.
            if code in out.languages:
                out.languages.remove(code)
            out.languages.insert(0, code)
        if len(f008) >= 11:
            date1 = f008[7:11]
            if date1.isascii() and date1.isdigit() and date1 != "0000" and f008[6] not in "bn":
                out.year = int(date1)
    if out.year is None and not authority:
        out.year = _year_from_text(out.date_text)

    _finish(out, entries, texts, "008" if f008 else "041")


def _standard_numbers(f: pymarc.Field, check, invalid: dict[str, str], out: RecordSummary) -> None:
    """$a through the ISBN/ISSN check; the subfields for cancelled or wrong numbers noted as such."""
    for code, v in f.subfields:
        if code == "a":
            check(f.tag, v, out)
        elif code in invalid:
            out.invalid_identifiers.append(f"{f.tag} ${code} {v.strip().rstrip(' :;')}: {invalid[code]}")


def _name_part(f: pymarc.Field, codes: frozenset[str]) -> str:
    parts = []
    for code, value in f.subfields:
        if code == "t":
            break
        if code in codes and value:
            parts.append(value)
    return " ".join(parts)


def _language(code: str, languages: list[str]) -> None:
    if len(code) == 3 and code.isascii() and code.isalpha() and code not in languages:
        languages.append(code)


def _finish(out: RecordSummary, entries: list[tuple[int, int, DisplayField]], texts: list[str],
            language_tag: str) -> None:
    if out.languages:
        entries.append((95, 0, DisplayField(LABELS["language"], ", ".join(out.languages), None, "ltr",
                                            language_tag)))
    entries.sort(key=lambda e: (e[0], e[1]))
    out.display = [e[2] for e in entries]
    out.script_codes = scripts_of(texts)


# --------------------------------------------------------------------------------------------------
# UNIMARC

_UNI_BIB: dict[str, tuple[str, int, frozenset[str]]] = {}
_reg(_UNI_BIB, "200", "title", 10, "abcdefghivz")
_reg(_UNI_BIB, "500 501 503", "uniform_title", 12, "abhiklmnqrsuwx")
_reg(_UNI_BIB, "510 512 513 514 515 516 517 518 520 530 531 532 540 541 545", "other_titles", 14, "aehijn")
_reg(_UNI_BIB, "700", "author", 20, "abcdfg")
_reg(_UNI_BIB, "710", "author", 20, "abcdefgh")
_reg(_UNI_BIB, "701 702", "other_authors", 22, "abcdfg")
_reg(_UNI_BIB, "711 712", "other_authors", 22, "abcdefgh")
_reg(_UNI_BIB, "205", "edition", 30, "abdfg")
_reg(_UNI_BIB, "210 214", "published", 40, "acdegh")
_reg(_UNI_BIB, "215", "physical", 50, "acde")
_reg(_UNI_BIB, "225", "series", 60, "adefhiv")
_reg(_UNI_BIB, "410 461", "series", 60, "atv")
for _t in range(300, 400):
    _UNI_BIB[str(_t)] = ("notes", 70, _ALPHA)
_UNI_BIB["327"] = ("contents", 70, _ALPHA)
_UNI_BIB["330"] = ("summary", 70, _ALPHA)
for _t in (600, 601, 602, 604, 605, 606, 607, 608, 610, 615, 616, 617):
    _UNI_BIB[str(_t)] = ("subjects", 80, _ALPHA)
_reg(_UNI_BIB, "010", "isbn", 90, "ab")
_reg(_UNI_BIB, "011", "issn", 91, "a")

_UNI_AUTH: dict[str, tuple[str, int, frozenset[str]]] = {}
for _t in ("200", "210", "215", "216", "217", "220", "230", "235", "240", "243", "245", "250", "260", "280"):
    _UNI_AUTH[_t] = ("heading", 10, _ALPHA)
    _UNI_AUTH["4" + _t[1:]] = ("see_from", 20, _ALPHA)
    _UNI_AUTH["5" + _t[1:]] = ("see_also", 30, _ALPHA)
_UNI_AUTH["810"] = ("sources", 40, _ALPHA)
for _t in ("300", "305", "310", "320", "330", "340", "356", "815", "820", "825", "830", "835", "836"):
    _UNI_AUTH[_t] = ("notes", 50, _ALPHA)

_UNI_NAME_TAGS = frozenset("700 701 702 710 711 712".split())
_UNI_OTHER_NUMBER_TAGS = frozenset("013 015 016 017 020 021 022 035 071 072 073".split())


def _unimarc_title(f: pymarc.Field) -> str:
    parts: list[str] = []
    seen_a = False
    for code, value in f.subfields:
        value = strip_isbd(value)
        if not value:
            continue
        if code == "a":
            parts.append(f" ; {value}" if seen_a else value)
            seen_a = True
        elif code == "e":
            parts.append(f" : {value}")
        elif code == "h":
            parts.append(f". {value}")
        elif code == "i":
            parts.append(f", {value}" if parts and parts[-1].startswith(". ") else f". {value}")
    return strip_isbd("".join(parts))


def _unimarc_display(f: pymarc.Field, codes: frozenset[str]) -> str:
    """UNIMARC data carries no ISBD punctuation; supply the usual separators for reading."""
    out: list[str] = []
    seps = _UNI_SEPS.get(f.tag, _UNI_SEP)
    for code, value in f.subfields:
        if code not in codes or not value:
            continue
        value = value.strip()
        if not out:
            out.append(value)
            continue
        sep = seps.get(code, " ")
        out.append(f"{sep}{value}")
    return "".join(out)


_UNI_SEP = {"a": " ; ", "b": ", ", "c": " : ", "d": " = ", "e": " : ", "f": " / ", "g": " ; ", "h": ". ",
            "i": ". ", "v": " ; "}
_UNI_SEPS = {
    "205": {"a": " ; ", "b": ", ", "d": " = ", "f": " / ", "g": " ; "},
    "210": {"a": " ; ", "b": ", ", "c": " : ", "d": ", ", "e": " (", "g": " : ", "h": ", "},
    "214": {"a": " ; ", "b": ", ", "c": " : ", "d": ", "},
    "215": {"a": " ; ", "c": " : ", "d": " ; ", "e": " + "},
    "700": {"b": ", ", "c": ", ", "d": " ", "f": ", ", "g": " "},
    "701": {"b": ", ", "c": ", ", "d": " ", "f": ", ", "g": " "},
    "702": {"b": ", ", "c": ", ", "d": " ", "f": ", ", "g": " "},
}


def _unimarc(record: pymarc.Record, out: RecordSummary) -> None:
    authority = out.kind == "authority"
    table = _UNI_AUTH if authority else _UNI_BIB
    entries: list[tuple[int, int, DisplayField]] = []
    texts: list[str] = []
    n = 0
    imprint: pymarc.Field | None = None
    for f in record.fields:
        tag = f.tag
        if tag < "010" and tag.isdigit():
            continue
        if tag == "010":
            _standard_numbers(f, _isbn, {"z": "erroneous"}, out)
        elif tag == "011":
            _standard_numbers(f, _issn, {"y": "cancelled", "z": "erroneous"}, out)
        elif tag == "100":
            data = _first(f, "a")
            if not authority and len(data) >= 13:
                date1 = data[9:13]
                if date1.isascii() and date1.isdigit() and date1 != "0000":
                    out.year = int(date1)
            continue
        elif tag == "101":
            for code, v in f.subfields:
                if code == "a":
                    _language(v.strip().lower(), out.languages)
            continue
        elif tag == "801":
            continue
        elif tag in _UNI_OTHER_NUMBER_TAGS:
            a, b = _first(f, "a").strip(), _first(f, "b").strip()
            if tag in ("020", "021"):
                _add(out.other_numbers, f"{a} {b}".strip() if b else "")
            else:
                _add(out.other_numbers, a)
            continue

        spec = table.get(tag)
        if spec is None:
            continue
        label = spec[0]
        if label in ("heading", "see_from", "see_also", "subjects"):
            value = _heading(f, _SUBDIV_UNIMARC, _HEADING_SKIP_UNIMARC, unimarc=True)
            if label == "heading":
                if not out.title:
                    out.title = value
            elif label == "subjects":
                if tag == "610":  # uncontrolled terms: each $a is a term of its own
                    for code, v in f.subfields:
                        if code == "a":
                            _add(out.subjects, strip_isbd(v))
                else:
                    _add(out.subjects, value)
            else:
                _add(out.titles, value)
        elif tag in _UNI_NAME_TAGS:
            a, b = strip_isbd(_first(f, "a")), strip_isbd(_first(f, "b"))
            value = f"{a}, {b}" if a and b else a
            _add(out.authors, value)
            display = strip_isbd(_unimarc_display(f, spec[2]))
            value = display or value
        elif tag == "200":
            title = _unimarc_title(f)
            if not out.title:
                out.title = title
            for code, v in f.subfields:
                if code == "d":
                    _add(out.titles, strip_isbd(v))
            value = strip_isbd(_unimarc_display(f, spec[2]))
        elif label in ("uniform_title", "other_titles"):
            value = strip_isbd(_unimarc_display(f, spec[2]))
            _add(out.titles, strip_isbd(_unimarc_title(f)) or value)
        elif tag in ("410", "461"):
            t = _first(f, "t") or _first(f, "a")
            v = _first(f, "v")
            value = strip_isbd(f"{strip_isbd(t)} ; {v}" if v else t)
            _add(out.series, value)
        else:
            value = strip_isbd(_unimarc_display(f, spec[2]))
            if label == "series":
                _add(out.series, value)
            elif label in ("notes", "contents", "summary", "sources"):
                out.notes.append(value)
            elif label == "edition":
                if not out.edition:
                    out.edition = value
            elif label == "published":
                if imprint is None or (imprint.tag == "210" and tag == "214" and not _first(imprint, "c")):
                    imprint = f
        if not value:
            continue
        texts.append(value)
        n += 1
        entries.append((spec[1], n, DisplayField(LABELS[label], value, None, _direction(value, None), tag)))

    if imprint is not None:
        out.place = strip_isbd(_first(imprint, "a")).strip("[]")
        out.publisher = strip_isbd(_first(imprint, "c")).strip("[]")
        out.date_text = strip_isbd(_first(imprint, "d"))
    if out.year is None and not authority:
        out.year = _year_from_text(out.date_text)
    _finish(out, entries, texts, "101")


# --------------------------------------------------------------------------------------------------

def summarise(record: pymarc.Record, flavour: str) -> RecordSummary:
    """Derive the display, index and facet values of one record.

    ``flavour`` is "marc21" or "unimarc" (RUSMARC reads as UNIMARC); whether the record is
    bibliographic or an authority is read from its leader.
    """
    leader = str(record.leader or "")
    if len(leader) < 24:
        leader = leader.ljust(24)
    unimarc = flavour == "unimarc"
    out = RecordSummary()
    if (unimarc and leader[6] in "xyz") or (not unimarc and leader[6] == "z"):
        out.kind = "authority"
    out.material_type = _material_type(leader, unimarc)
    if unimarc:
        _unimarc(record, out)
    else:
        _marc21(record, out)
    _drop_non_sorting_marks(out)
    out.control_agency, out.control_number = control_identity(record, flavour)
    return out


def control_identity(record: pymarc.Record, flavour: str) -> tuple[str, str]:
    """(agency, control number) of a record: 003 and 001; for UNIMARC, whose 003 is a persistent
    identifier (usually a URI) rather than an agency code, the first 801 $b stands in for it.
    """
    number = agency = agency_801 = ""
    for f in record.fields:
        tag = f.tag
        if tag == "001":
            number = (f.data or "").strip()
        elif tag == "003":
            data = (f.data or "").strip()
            if flavour != "unimarc" or ("://" not in data and not data.startswith("ark:")):
                agency = data
        elif tag == "801" and flavour == "unimarc" and not agency_801:
            agency_801 = _first(f, "b").strip()
    return agency or agency_801, number


def _drop_non_sorting_marks(out: RecordSummary) -> None:
    out.title = out.title.translate(_NON_SORTING)
    if out.title_original:
        out.title_original = out.title_original.translate(_NON_SORTING)
    for values in (out.titles, out.authors, out.subjects, out.series):
        values[:] = [v.translate(_NON_SORTING) for v in values]
    for display in out.display:
        display.value = display.value.translate(_NON_SORTING)
        if display.original:
            display.original = display.original.translate(_NON_SORTING)

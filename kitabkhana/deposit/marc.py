"""The pre-publication MARC 21 record built from a CIP request (leader/17 '8': prepublication level)."""

from __future__ import annotations

import datetime as dt
import re

import jdatetime
import pymarc
from stdnum import isbn as stdnum_isbn

from kitabkhana.scripts.calendars import to_persian_digits

# Relator terms for $e; anything else the publisher typed is kept as it is.
RELATOR_TERMS = {
    "author": "author", "editor": "editor", "translator": "translator", "illustrator": "illustrator",
    "compiler": "compiler", "photographer": "photographer", "contributor": "contributor",
}


def _sf(*pairs: str) -> list[pymarc.Subfield]:
    return [pymarc.Subfield(code=pairs[i], value=pairs[i + 1]) for i in range(0, len(pairs), 2)]


_CM = re.compile(r"^\s*(\d+(?:\s*[x×]\s*\d+)?)\s*cm\.?\s*$", re.IGNORECASE)


def extent_text(pages: int | None, language: str) -> str:
    """300 $a in the cataloguing language: Persian records count pages as the National Library of Iran writes
    them ("۳۵۲ ص."), others in RDA English ("352 pages")."""
    if not pages:
        return "۱ ج." if language == "per" else "1 volume"
    return f"{to_persian_digits(str(pages))} ص." if language == "per" else f"{pages} pages"


def dimensions_text(dimensions: str, language: str) -> str:
    """300 $c: "24 cm" becomes "۲۴ س‌م." in a Persian record; anything else is kept as typed."""
    match = _CM.match(dimensions)
    if language == "per" and match:
        return f"{to_persian_digits(match.group(1).replace('x', '×'))} س‌م."
    return dimensions.strip()


def imprint_year(expected: dt.date, language: str) -> str:
    """Persian-language books carry the Solar Hijri year in their imprint, others the Gregorian one."""
    if language == "per":
        return str(jdatetime.date.fromgregorian(date=expected).year)
    return str(expected.year)


def cip_marc_build(
    *, control_number: str, agency: str, title: str, subtitle: str, contributors: list[dict], edition: str,
    series: str, expected_date: dt.date, pages: int | None, format: str, languages: list[str], isbns: list[str],
    summary: str, contents: str, publisher_name: str, place: str, country: str, subjects: list[str],
    classification: str, classification_scheme: str, today: dt.date,
) -> pymarc.Record:
    language = languages[0] if languages else "und"
    record = pymarc.Record(force_utf8=True)
    # n new, a language material, m monograph, a UCS/Unicode, 8 prepublication, i ISBD punctuation.
    record.leader = pymarc.Leader("00000nam a22000008i 4500")
    record.add_field(pymarc.Field(tag="001", data=control_number))
    record.add_field(pymarc.Field(tag="003", data=agency))
    country_code = {"IR": "ir ", "AF": "af ", "TJ": "ta "}.get(country.upper(), "xx ")
    f008 = f"{today:%y%m%d}s{expected_date.year:04d}    {country_code}" + " " * 17 + f"{language[:3]:<3} d"
    record.add_field(pymarc.Field(tag="008", data=f008))
    for number in isbns:
        record.add_field(pymarc.Field(tag="020", indicators=[" ", " "], subfields=_sf("a", stdnum_isbn.format(number))))
    record.add_field(pymarc.Field(tag="040", indicators=[" ", " "],
                                  subfields=_sf("a", agency, "b", language, "e", "rda", "c", agency)))
    if len(languages) > 1:
        record.add_field(pymarc.Field(tag="041", indicators=["0", " "],
                                      subfields=[pymarc.Subfield("a", code) for code in languages]))
    if classification:
        tag, ind = ("082", ["0", "4"]) if classification_scheme != "udc" else ("080", [" ", " "])
        record.add_field(pymarc.Field(tag=tag, indicators=ind, subfields=_sf("a", classification)))
    main = next((c for c in contributors if c.get("role", "author") == "author"), None)
    if main:
        record.add_field(pymarc.Field(tag="100", indicators=["1", " "],
                                      subfields=_sf("a", main["name"], "e", _relator(main))))
    title_sf = _sf("a", title + (" :" if subtitle else ""))
    if subtitle:
        title_sf += _sf("b", subtitle)
    record.add_field(pymarc.Field(tag="245", indicators=["1" if main else "0", "0"], subfields=title_sf))
    if edition:
        record.add_field(pymarc.Field(tag="250", indicators=[" ", " "], subfields=_sf("a", edition)))
    record.add_field(pymarc.Field(tag="264", indicators=[" ", "1"], subfields=_sf(
        "a", (place or "[Place of publication not identified]") + " :", "b", publisher_name + ",",
        "c", imprint_year(expected_date, language))))
    extent = extent_text(pages, language)
    physical = _sf("a", extent + " ;", "c", dimensions_text(format, language)) if format else _sf("a", extent)
    record.add_field(pymarc.Field(tag="300", indicators=[" ", " "], subfields=physical))
    if series:
        record.add_field(pymarc.Field(tag="490", indicators=["0", " "], subfields=_sf("a", series)))
    if contents:
        record.add_field(pymarc.Field(tag="505", indicators=["0", " "], subfields=_sf("a", contents)))
    if summary:
        record.add_field(pymarc.Field(tag="520", indicators=[" ", " "], subfields=_sf("a", summary)))
    for heading in subjects:
        parts = [p.strip() for p in heading.split("--") if p.strip()]
        if parts:
            record.add_field(pymarc.Field(tag="650", indicators=[" ", "4"], subfields=_sf(
                "a", parts[0], *[x for p in parts[1:] for x in ("x", p)])))
    for other in contributors:
        if other is not main:
            record.add_field(pymarc.Field(tag="700", indicators=["1", " "],
                                          subfields=_sf("a", other["name"], "e", _relator(other))))
    return record


def _relator(contributor: dict) -> str:
    role = (contributor.get("role") or "author").strip()
    return RELATOR_TERMS.get(role.lower(), role)


def nbn_field_set(record: pymarc.Record, *, nbn: str, source: str) -> None:
    """Write the national bibliography number as 015 $a … $2 (replacing an earlier one)."""
    record.remove_fields("015")
    _field_put(record, pymarc.Field(tag="015", indicators=[" ", " "], subfields=_sf("a", nbn, "2", source)))


def _field_put(record: pymarc.Record, field: pymarc.Field) -> None:
    """Add a field in tag order: before the first field tagged above it."""
    after = next((f for f in record.fields if f.tag > field.tag), None)
    if after is None:
        record.add_field(field)
    else:
        record.fields.insert(record.fields.index(after), field)


def _published_set(record: pymarc.Record, *, published_on: dt.date, language: str) -> None:
    """Full level (leader/17 blank), and the actual publication year in 008/07-10 and 264 $c."""
    leader = str(record.leader)
    record.leader = pymarc.Leader(leader[:17] + " " + leader[18:])
    for field in record.get_fields("008"):
        data = field.data
        if len(data) >= 11:
            field.data = data[:7] + f"{published_on.year:04d}" + data[11:]
    year = imprint_year(published_on, language)
    for field in record.get_fields("264"):
        if field.indicator2 == "1":
            field.delete_subfield("c")
            field.add_subfield("c", year)


def full_level_set(record: pymarc.Record, *, pages: int, dimensions: str, published_on: dt.date,
                   language: str) -> None:
    """Upgrade a pre-publication record with the copy in hand: full level, 300 and the actual imprint date."""
    _published_set(record, published_on=published_on, language=language)
    record.remove_fields("300")
    _field_put(record, pymarc.Field(tag="300", indicators=[" ", " "], subfields=_sf(
        "a", extent_text(pages, language) + " ;", "c", dimensions_text(dimensions, language))))


# RDA carrier and file-type terms for a deposited e-book (337/338/347).
_FILE_TYPES = {"application/pdf": "PDF", "application/epub+zip": "EPUB"}


def electronic_level_set(record: pymarc.Record, *, pages: int | None, media_type: str, published_on: dt.date,
                         language: str) -> None:
    """Upgrade a pre-publication e-book record from the deposited file: full level, online resource, file type."""
    _published_set(record, published_on=published_on, language=language)
    for field in record.get_fields("008"):
        # 008/23 form of item: o, online.
        if len(field.data) >= 24:
            field.data = field.data[:23] + "o" + field.data[24:]
    for tag in ("300", "337", "338", "347"):
        record.remove_fields(tag)
    resource = "۱ منبع برخط" if language == "per" else "1 online resource"
    extent = f"{resource} ({extent_text(pages, language)})" if pages else resource
    _field_put(record, pymarc.Field(tag="300", indicators=[" ", " "], subfields=_sf("a", extent)))
    _field_put(record, pymarc.Field(tag="337", indicators=[" ", " "],
                                    subfields=_sf("a", "computer", "b", "c", "2", "rdamedia")))
    _field_put(record, pymarc.Field(tag="338", indicators=[" ", " "],
                                    subfields=_sf("a", "online resource", "b", "cr", "2", "rdacarrier")))
    _field_put(record, pymarc.Field(tag="347", indicators=[" ", " "], subfields=_sf(
        "a", "text file", "b", _FILE_TYPES.get(media_type, media_type), "2", "rdaft")))

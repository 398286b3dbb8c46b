"""The monthly national bibliography: the titles first deposited in a month, described from their records.

Selection: a title belongs to the month in which its *first* deposit receipt (the earliest
``DepositReceipt.received_on`` of its record, with or without a CIP request) falls — for an e-book, the day its
file was deposited — so a title delivered in two instalments is listed once, in the month of the first. Only live records (not deleted) at full level (leader/17
blank: the copy has been in hand) are listed. Months are Solar Hijri by default, as the Iranian national
bibliography is issued; Gregorian months are offered too.

Order: sections by DDC hundreds class (082 $a), then by UDC main class (080 $a), then the unclassified; within a
section by title in Persian alphabetical order (پ چ ژ گ where Persian puts them). Each entry is an ISBD-style
description read from the MARC record by ``cip_block.block_elements`` (the 880 vernacular form when linked).

Outputs: the entries for the web page, plain text, a PDF (A4, shaped right to left through HarfBuzz with the
CIP block's fonts, docs/decisions/0007-cip-block-pdf.md) and the stored records as ISO 2709 or MARCXML.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass
from itertools import groupby

import jdatetime
from django.db.models import BinaryField, Count, DateField, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Substr, TruncDate
from django.urls import reverse
from django.utils.translation import get_language, get_language_bidi, gettext, ngettext
from django.utils.translation import gettext_lazy as _

from kitabkhana.catalogue.models import Record
from kitabkhana.catalogue.selectors import record_marc
from kitabkhana.catalogue.services.exporting import record_serialise
from kitabkhana.core.errors import NotFound
from kitabkhana.deposit.cip_block import (
    CipBlockError,
    block_elements,
    has_arabic_script,
    isbd_sentence,
    isolate,
    pdf_direction_set,
    pdf_document,
)
from kitabkhana.deposit.models import CipRequest, DepositReceipt, ElectronicDeposit
from kitabkhana.deposit.selectors import SOLAR_MARK, month_name
from kitabkhana.marc.writer import marcxml_collection

# The calendars are part of this module's API: months are asked for as nb.SOLAR or nb.GREGORIAN.
from kitabkhana.scripts.calendars import (  # noqa: F401
    CALENDARS,
    GREGORIAN,
    SOLAR,
    month_bounds,
    month_of,
    to_persian_digits,
)
from kitabkhana.scripts.normalise import normalise

FORMATS = ("pdf", "mrc", "xml", "txt")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "mrc": "application/marc",
    "xml": "application/marcxml+xml",
    "txt": "text/plain; charset=utf-8",
}

# The ten main classes of the DDC summaries, the section headings of the bibliography.
DDC_CLASSES = {
    "0": _("Computer science, information and general works"),
    "1": _("Philosophy and psychology"),
    "2": _("Religion"),
    "3": _("Social sciences"),
    "4": _("Language"),
    "5": _("Science"),
    "6": _("Technology"),
    "7": _("Arts and recreation"),
    "8": _("Literature"),
    "9": _("History and geography"),
}

# MARC language codes (008/35-37) to the language tags of HTML ``lang``.
_LANGUAGE_TAGS = {
    "per": "fa", "ara": "ar", "eng": "en", "rus": "ru", "tur": "tr", "urd": "ur", "aze": "az", "kur": "ku",
    "pus": "ps", "tgk": "tg", "arm": "hy", "heb": "he", "fre": "fr", "ger": "de", "spa": "es", "ita": "it",
    "chi": "zh", "jpn": "ja", "kor": "ko", "hin": "hi", "uig": "ug", "syr": "syr", "geo": "ka",
}
_PERSIAN_ALPHABET = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
# After normalise() (آ → ا, ي → ی, ك → ک), each Persian letter sorts by its place in the Persian alphabet.
_PERSIAN_ORDER = {ord(letter): chr(0xE000 + i) for i, letter in enumerate(_PERSIAN_ALPHABET)}


# --- months ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    """A month of the Solar Hijri or the Gregorian calendar, with its first and last day as Gregorian dates."""

    calendar: str
    year: int
    month: int
    first: dt.date
    last: dt.date

    @property
    def slug(self) -> str:
        """``1405-02``: the month in file names."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def url_kwargs(self) -> dict[str, str]:
        return {"year": f"{self.year:04d}", "month": f"{self.month:02d}"}

    @property
    def year_label(self) -> str:
        return _digits(str(self.year))

    @property
    def name(self) -> str:
        """``Ordibehesht 1405`` / ``اردیبهشت ۱۴۰۵`` / ``May 2026`` in the active language."""
        return _digits(month_name(self.calendar, self.year, self.month))

    @property
    def span(self) -> str:
        """The month's days in the other calendar: ``2026-04-21 – 2026-05-21`` or ``1405-02-11 – 1405-03-10 SH``."""
        if self.calendar == SOLAR:
            return _digits(f"{self.first:%Y-%m-%d} – {self.last:%Y-%m-%d}")
        first = jdatetime.date.fromgregorian(date=self.first)
        last = jdatetime.date.fromgregorian(date=self.last)
        return _digits(f"{first:%Y-%m-%d} – {last:%Y-%m-%d} {SOLAR_MARK}")

    @property
    def both_calendars(self) -> str:
        """``Ordibehesht 1405 (2026-04-21 – 2026-05-21)``: the month in both calendars."""
        return f"{self.name} ({self.span})"

    def previous(self) -> Month:
        return month_containing(self.calendar, self.first - dt.timedelta(days=1))

    def next(self) -> Month:
        return month_containing(self.calendar, self.last + dt.timedelta(days=1))


def _digits(text: str) -> str:
    return to_persian_digits(text) if (get_language() or "").startswith("fa") else text


def month_get(*, calendar: str, year: int, month: int) -> Month:
    """The month, or NotFound for a month that does not exist (month 13, year 0, a year past the calendars)."""
    try:
        first, last = month_bounds(calendar, year, month)
    except ValueError as exc:
        raise NotFound(str(exc)) from None
    return Month(calendar=calendar, year=year, month=month, first=first, last=last)


def month_containing(calendar: str, day: dt.date) -> Month:
    """The month of ``calendar`` the Gregorian ``day`` falls in."""
    year, month = month_of(calendar, day)
    return month_get(calendar=calendar, year=year, month=month)


# --- selection ---------------------------------------------------------------------------------------------


def _ebook_files():
    # An e-book's deposit is its file (services.electronic_deposit_upload); a file beside a printed book is not.
    return ElectronicDeposit.objects.filter(request__medium=CipRequest.Medium.ELECTRONIC, record__isnull=False)


def _titles(*, first: dt.date | None = None, last: dt.date | None = None) -> QuerySet[Record]:
    """Live full-level records deposited as copies or as an e-book file, annotated with their first deposit day.

    ``first``/``last`` narrow the candidates to the records deposited in those days (a month's), so the catalogue's
    other records (a union catalogue holds millions) are never scanned.
    """
    receipts, files = DepositReceipt.objects.all(), _ebook_files()
    if first is not None:
        receipts = receipts.filter(received_on__gte=first, received_on__lte=last)
        files = files.filter(uploaded_at__date__gte=first, uploaded_at__date__lte=last)
    first_receipt = (DepositReceipt.objects.filter(record=OuterRef("pk")).order_by().values("record")
                     .annotate(first=Min("received_on")).values("first"))
    first_file = (_ebook_files().filter(record=OuterRef("pk")).order_by().values("record")
                  .annotate(first=Min(TruncDate("uploaded_at"))).values("first"))
    candidates = Q(pk__in=receipts.values("record_id")) | Q(pk__in=files.values("record_id"))
    return (Record.objects.filter(candidates, deleted_at__isnull=True)
            # leader/17 (byte 18 of the stored ISO 2709) blank: full level, not the CIP record's "8".
            .annotate(level=Substr("marc", 18, 1, output_field=BinaryField()),
                      first_received=Coalesce(Subquery(first_receipt, output_field=DateField()),
                                              Subquery(first_file, output_field=DateField())))
            .filter(level=b" "))


def bibliography_months(*, calendar: str = SOLAR) -> list[tuple[int, list[tuple[Month, int]]]]:
    """The months that have entries, newest year first: ``[(year, [(month, number of titles), ...]), ...]``."""
    counts: Counter[Month] = Counter()
    # One row per day that starts titles (a few hundred a year), not one per title.
    per_day = _titles().order_by().values("first_received").annotate(titles=Count("pk"))
    for row in per_day.values_list("first_received", "titles"):
        counts[month_containing(calendar, _as_date(row[0]))] += row[1]
    years: dict[int, list[tuple[Month, int]]] = {}
    for month in sorted(counts, key=lambda m: (m.year, m.month)):
        years.setdefault(month.year, []).append((month, counts[month]))
    return sorted(years.items(), reverse=True)


def _as_date(value: dt.date | str) -> dt.date:
    # SQLite hands a subquery's date back as text.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


# --- entries -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One title of the bibliography, described in its own script."""

    record_id: int
    nbn: str
    heading: str  # the main entry (author), may be empty
    areas: tuple[str, ...]  # ISBD areas: title / responsibility, edition, imprint, extent, (series)
    isbns: tuple[str, ...]
    subjects: tuple[str, ...]
    classification: str  # "DDC 891.55", "UDC 821.222.1" or ""
    language: str  # HTML language tag of the text ("fa"), "" when unknown
    rtl: bool
    first_received: dt.date
    sort_title: str

    @property
    def description(self) -> str:
        """The ISBD areas as one paragraph, separated by full stop, space, dash, space."""
        return ISBD_SEPARATOR.join(self.areas)


ISBD_SEPARATOR = " — "


@dataclass(frozen=True)
class Section:
    """The entries of one class: ``key`` "800" (DDC), "UDC 8" or "" (unclassified), and the heading to print."""

    key: str
    heading: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Bibliography:
    """The national bibliography of one month: its sections in order and the records behind the entries."""

    month: Month
    sections: tuple[Section, ...]
    records: tuple[Record, ...]  # in entry order

    @property
    def count(self) -> int:
        return len(self.records)

    @property
    def title(self) -> str:
        return gettext("National bibliography")


def _language_of(marc) -> str:
    f008 = marc["008"] if "008" in marc else None
    code = f008.data[35:38].strip().lower() if f008 is not None and len(f008.data) >= 38 else ""
    return _LANGUAGE_TAGS.get(code, "")


def _class_of(marc) -> tuple[tuple[int, int], str, str]:
    """(section order, section key, classification as printed) from 082 $a, else 080 $a."""
    for tag, scheme, rank in (("082", "DDC", 0), ("080", "UDC", 1)):
        field = marc[tag] if tag in marc else None
        number = (field.get("a") or "").strip() if field is not None else ""
        if number and number[0].isdigit():
            digit = number[0]
            key = f"{digit}00" if scheme == "DDC" else f"UDC {digit}"
            return (rank, int(digit)), key, f"{scheme} {number}"
        if number:  # "[Fic]", "E": a number outside the hundreds classes
            return (2, 0), "", f"{scheme} {number}"
    return (2, 0), "", ""


def _section_heading(key: str) -> str:
    if not key:
        return gettext("Unclassified")
    if key.startswith("UDC"):
        return gettext("UDC class %(number)s") % {"number": key[4:]}
    return f"{key} {DDC_CLASSES[key[0]]}"


def title_sort_key(title: str) -> str:
    """Sort titles as a Persian reader looks them up: normalised, Persian letters in Persian alphabetical order."""
    return normalise(title).translate(_PERSIAN_ORDER)


def _entry(record: Record) -> tuple[tuple[int, int], str, Entry]:
    marc = record_marc(record)
    try:
        elements = block_elements(marc, strict_isbns=False)
    except CipBlockError:  # no title: list the record under what the catalogue derived for it
        elements = None
    title = elements.title if elements else (record.title or gettext("[no title]"))
    areas = [isbd_sentence(title)]
    if elements:
        comma = "، " if has_arabic_script(elements.imprint_place_publisher) else ", "
        imprint = comma.join(p for p in (elements.imprint_place_publisher, elements.imprint_date) if p)
        areas += [isbd_sentence(a) for a in (elements.edition, imprint, elements.extent) if a]
        areas += [f"({s})" for s in elements.series]
    order, key, classification = _class_of(marc)
    heading = elements.main if elements else ""
    entry = Entry(
        record_id=record.pk, nbn=elements.nbn if elements else "", heading=heading, areas=tuple(areas),
        isbns=tuple(elements.isbns) if elements else (), subjects=tuple(elements.subjects) if elements else (),
        classification=classification, language=_language_of(marc),
        rtl=has_arabic_script(title) or has_arabic_script(heading),
        first_received=_as_date(record.first_received), sort_title=title_sort_key(title),
    )
    return order, key, entry


def bibliography_get(*, month: Month) -> Bibliography:
    """The titles first deposited in ``month``, in sections by class and by title within each."""
    # A title with a copy in the month is listed when that is its first copy: none came earlier.
    records = list(_titles(first=month.first, last=month.last).filter(first_received__gte=month.first))
    built = [(*_entry(record), record) for record in records]
    built.sort(key=lambda b: (b[0], b[2].sort_title, b[2].record_id))
    sections = tuple(
        Section(key=key, heading=_section_heading(key), entries=tuple(b[2] for b in group))
        for key, group in groupby(built, key=lambda b: b[1])
    )
    return Bibliography(month=month, sections=sections, records=tuple(b[3] for b in built))


# --- outputs -----------------------------------------------------------------------------------------------


def _subjects_line(entry: Entry) -> list[str]:
    return [f"{i}. {isbd_sentence(s)}" for i, s in enumerate(entry.subjects, start=1)]


def bibliography_text(bibliography: Bibliography) -> str:
    """The bibliography as UTF-8 plain text in logical order: a heading per class, a paragraph per title."""
    month = bibliography.month
    lines = [f"{bibliography.title} — {month.both_calendars}",
             ngettext("%(count)d title", "%(count)d titles", bibliography.count) % {"count": bibliography.count},
             ""]
    for section in bibliography.sections:
        lines += [section.heading, "=" * len(section.heading), ""]
        for entry in section.entries:
            if entry.nbn:
                lines.append(entry.nbn)
            if entry.heading:
                lines.append(entry.heading)
            lines.append(entry.description)
            if entry.isbns:
                lines.append("ISBN " + " ; ".join(entry.isbns))
            if entry.subjects:
                lines.append(gettext("Subjects:") + " " + " ".join(_subjects_line(entry)))
            if entry.classification:
                lines.append(entry.classification)
            lines.append(reverse("opac:record", args=[entry.record_id]))
            lines.append("")
    if not bibliography.sections:
        lines.append(gettext("No titles were first deposited in this month."))
    return "\n".join(lines).rstrip("\n") + "\n"


def bibliography_marc(bibliography: Bibliography, *, fmt: str) -> bytes:
    """The stored records of the entries, in entry order: ISO 2709 UTF-8 (``mrc``) or a MARCXML collection."""
    if fmt == "mrc":
        return b"".join(record_serialise(record, "iso2709") for record in bibliography.records)
    if fmt == "xml":
        out = io.BytesIO()
        marcxml_collection((record_marc(record) for record in bibliography.records), out)
        return out.getvalue()
    raise ValueError(f"MARC format {fmt!r}: expected mrc or xml")


_A4 = "A4"
_MARGIN = 18.0
_TITLE_SIZE = 15.0
_HEADING_SIZE = 12.0
_ENTRY_SIZE = 9.5
_LINE = 5.0


def _direction(pdf, *, rtl: bool, persian: bool, size: float) -> None:
    # Latin class headings and values sit in right-to-left lines: let HarfBuzz find each run's script.
    pdf_direction_set(pdf, rtl=rtl, persian=persian, size=size)


def bibliography_pdf(bibliography: Bibliography) -> bytes:
    """The bibliography as an A4 PDF: the month in both calendars, then the entries under their class headings.

    Headings follow the active language's direction; each entry is laid out in its own (right to left for
    Arabic script, shaped by HarfBuzz). Raises CipFontMissing when the Noto fonts (fonts-noto-core) are absent.
    """
    rtl_page = bool(get_language_bidi())
    persian_page = (get_language() or "").startswith("fa")
    page_align = "R" if rtl_page else "L"
    pdf = pdf_document(page=_A4, margin=_MARGIN, title=f"{bibliography.title} — {bibliography.month.name}")

    _direction(pdf, rtl=rtl_page, persian=persian_page, size=_TITLE_SIZE)
    pdf.multi_cell(w=0, h=_LINE + 3, text=bibliography.title, align="C", new_x="LMARGIN", new_y="NEXT")
    _direction(pdf, rtl=rtl_page, persian=persian_page, size=_HEADING_SIZE)
    # The month's other-calendar span is Latin digits and dashes: an isolate keeps it in order in a RTL line.
    month = bibliography.month
    pdf.multi_cell(w=0, h=_LINE + 2, text=f"{isolate(month.name)} ({isolate(month.span)})", align="C",
                   new_x="LMARGIN", new_y="NEXT")
    count = ngettext("%(count)d title", "%(count)d titles", bibliography.count) % {"count": bibliography.count}
    pdf.multi_cell(w=0, h=_LINE + 2, text=_digits(count), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    if not bibliography.sections:
        pdf.multi_cell(w=0, h=_LINE, text=gettext("No titles were first deposited in this month."),
                       align=page_align, new_x="LMARGIN", new_y="NEXT")

    for section in bibliography.sections:
        _direction(pdf, rtl=rtl_page, persian=persian_page, size=_HEADING_SIZE)
        pdf.ln(2)
        pdf.multi_cell(w=0, h=_LINE + 2, text=section.heading, align=page_align, new_x="LMARGIN", new_y="NEXT")
        y = pdf.get_y()
        pdf.line(_MARGIN, y, pdf.w - _MARGIN, y)
        pdf.ln(2)
        for entry in section.entries:
            _pdf_entry(pdf, entry)
    return bytes(pdf.output())


def _pdf_entry(pdf, entry: Entry) -> None:
    _direction(pdf, rtl=entry.rtl, persian=entry.language == "fa", size=_ENTRY_SIZE)
    align = "R" if entry.rtl else "L"
    # Each value is an isolate, so a Latin area ("352 pages ; 23 cm", an ISBN) in a right-to-left entry keeps
    # its own order instead of being reordered around its neighbours (as in the CIP block).
    lines = []
    if entry.nbn:
        lines.append(isolate(entry.nbn))
    if entry.heading:
        lines.append(isolate(entry.heading))
    lines.append(ISBD_SEPARATOR.join(isolate(area) for area in entry.areas))
    if entry.isbns:
        lines.append(" ; ".join(isolate(f"ISBN {n}") for n in entry.isbns))
    if entry.subjects:
        lines.append(" ".join([isolate(gettext("Subjects:")), *(isolate(s) for s in _subjects_line(entry))]))
    if entry.classification:
        lines.append(isolate(entry.classification))
    for line in lines:
        pdf.multi_cell(w=0, h=_LINE, text=line, align=align, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def bibliography_file(*, month: Month, fmt: str) -> bytes:
    """The month's bibliography in ``fmt``: pdf, mrc (ISO 2709), xml (MARCXML) or txt (UTF-8)."""
    if fmt not in FORMATS:
        raise NotFound(f"no national bibliography format {fmt!r} ({', '.join(FORMATS)})")
    bibliography = bibliography_get(month=month)
    if fmt == "pdf":
        return bibliography_pdf(bibliography)
    if fmt == "txt":
        return bibliography_text(bibliography).encode("utf-8")
    return bibliography_marc(bibliography, fmt=fmt)


def file_name(month: Month, fmt: str) -> str:
    """``national-bibliography-1405-02.pdf``."""
    return f"national-bibliography-{month.slug}.{fmt}"

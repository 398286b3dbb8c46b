"""Citations of a catalogue record: APA and Chicago text for readers, RIS and BibTeX for reference managers.

Built from the derived summary, not the MARC, so MARC 21 and UNIMARC records cite alike. Names are
cited as catalogued (inverted "Surname, Forename" headings); we do not try to re-invert names in
scripts where the surname/forename order differs, because a wrong guess is worse than the heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kitabkhana.marc.derive import RecordSummary

STYLES = ("apa", "chicago")
EXPORTS = {"ris": ("application/x-research-info-systems", "ris"), "bibtex": ("application/x-bibtex", "bib")}
_TRAILING = " /:;,."
_DATES = re.compile(r"[\[\]©c]|\bcop\.")


@dataclass(frozen=True)
class Citation:
    style: str
    text: str


_CONTROLS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def _clean(value: str | None) -> str:
    # Line breaks inside a subfield would start a new RIS tag line; every control character goes.
    return _CONTROLS.sub(" ", value or "").strip().rstrip(_TRAILING).strip()


def _year(summary: RecordSummary) -> str:
    if summary.year:
        return str(summary.year)
    return _clean(_DATES.sub("", summary.date_text or "")) or "n.d."


def _authors(summary: RecordSummary) -> list[str]:
    return [_clean(a) for a in summary.authors if _clean(a)]


def _join_names(names: list[str], conjunction: str) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + f", {conjunction} " + names[-1]


def _imprint(summary: RecordSummary) -> str:
    place, publisher = _clean(summary.place), _clean(summary.publisher)
    return ": ".join(x for x in (place, publisher) if x)


def citation_apa(summary: RecordSummary) -> Citation:
    authors = _join_names(_authors(summary), "&")
    title = _clean(summary.title)
    edition = _clean(summary.edition)
    parts = [f"{authors}." if authors else "", f"({_year(summary)}).", f"{title}" + (f" ({edition})." if edition
                                                                                         else ".")]
    if summary.publisher:
        parts.append(f"{_clean(summary.publisher)}.")
    return Citation("apa", " ".join(p for p in parts if p))


def citation_chicago(summary: RecordSummary) -> Citation:
    authors = _join_names(_authors(summary), "and")
    parts = [f"{authors}." if authors else "", f"{_clean(summary.title)}."]
    if summary.edition:
        parts.append(f"{_clean(summary.edition)}.")
    imprint = _imprint(summary)
    parts.append(f"{imprint}, {_year(summary)}." if imprint else f"{_year(summary)}.")
    return Citation("chicago", " ".join(p for p in parts if p))


def citations(summary: RecordSummary) -> list[Citation]:
    return [citation_apa(summary), citation_chicago(summary)]


_RIS_TYPES = {"book": "BOOK", "serial": "JOUR", "map": "MAP", "score": "MUSIC", "music": "MUSIC",
              "sound": "SOUND", "video": "VIDEO", "manuscript": "MANSCPT", "computer": "COMP"}


def citation_ris(summary: RecordSummary, *, record_url: str) -> str:
    lines = [f"TY  - {_RIS_TYPES.get(summary.material_type, 'GEN')}"]
    lines += [f"AU  - {a}" for a in _authors(summary)]
    lines.append(f"TI  - {_clean(summary.title)}")
    if summary.title_original:
        lines.append(f"TT  - {_clean(summary.title_original)}")
    if summary.year or summary.date_text:
        lines.append(f"PY  - {_year(summary)}")
    for tag, value in (("PB", summary.publisher), ("CY", summary.place), ("ET", summary.edition)):
        if _clean(value):
            lines.append(f"{tag}  - {_clean(value)}")
    lines += [f"SN  - {n}" for n in [*summary.isbns, *summary.issns]]
    lines += [f"LA  - {code}" for code in summary.languages]
    lines += [f"KW  - {s}" for s in summary.subjects]
    lines += [f"UR  - {record_url}", "ER  - ", ""]
    return "\r\n".join(lines)


_BIBTEX_SPECIAL = {"\\": r"\textbackslash{}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                   **{c: "\\" + c for c in "{}%&$#_"}}
_BIBTEX_CHARS = re.compile(r"[\\~^{}%&$#_]")


def _bibtex_escape(value: str) -> str:
    # One pass, so the braces of a replacement are never escaped again.
    return _BIBTEX_CHARS.sub(lambda m: _BIBTEX_SPECIAL[m.group()], _CONTROLS.sub(" ", value))


def citation_bibtex(summary: RecordSummary, *, key: str, record_url: str) -> str:
    entry = "book" if summary.material_type in ("book", "manuscript") else "misc"
    fields = [
        ("author", " and ".join(_authors(summary))),
        ("title", _clean(summary.title)),
        ("edition", _clean(summary.edition)),
        ("publisher", _clean(summary.publisher)),
        ("address", _clean(summary.place)),
        ("year", _year(summary) if (summary.year or summary.date_text) else ""),
        ("isbn", ", ".join(summary.isbns)),
        ("issn", ", ".join(summary.issns)),
        ("language", ", ".join(summary.languages)),
        ("url", record_url),
    ]
    body = ",\n".join(f"  {name} = {{{_bibtex_escape(value)}}}" for name, value in fields if value)
    return f"@{entry}{{{key},\n{body}\n}}\n"

"""Simple (unqualified) Dublin Core from one MARC 21 or UNIMARC record.

``record_to_dc(record, flavour)`` returns ``(element, value)`` pairs in the order of the fifteen
DCMES elements. It serves OAI-PMH ``oai_dc`` and SRU's ``dc`` schema, so it is pure Python and does
not know about either protocol.

MARC 21 follows the Library of Congress "MARC to Dublin Core Crosswalk" (unqualified), with two
choices where LC leaves one open:

* LC puts every name (1XX and 7XX) in ``contributor`` and leaves ``creator`` unused, noting that an
  application that needs the distinction may make it; we make it, as LC's own MARC21slim2OAIDC
  stylesheet users expect: main entries 100/110/111 are ``creator``, added entries 700/710/711/720
  ``contributor``.
* Refinements dumb down to their element (the DCMI rule): 300 (Format.Extent), 264 (RDA's imprint,
  beside 260) and series 490/800-830 (Relation.IsPartOf) are included.

880 fields (vernacular script) count as the field their $6 links to, so a Persian title in
880 $6 245-01 is a ``title`` next to its romanised form.

UNIMARC follows the Permanent UNIMARC Committee's UNIMARC/Dublin Core mapping (2004): 200 and the
5XX variant titles are ``title``; 700/710/720 (primary responsibility) ``creator``; 701/702/711/712/
721/722 ``contributor``; 6XX and the classification numbers ``subject`` (607/617 places go to
``coverage``, as MARC 21 651 does); 3XX notes ``description``; 210/214 $c ``publisher``, $d and
100$a/9-12 ``date``; 215/230 ``format``; 010/011 ISBN/ISSN, 856$u and a URI in 003 ``identifier``;
101 ``language``; 4XX linking fields ``relation``; 371 ``rights``; 324 ``source``.

Identifiers are written as URNs: "URN:ISBN:978…" (the ISBN-13 that ``summarise`` validated and
normalised; invalid numbers are left out) and "URN:ISSN:1234-5679". Authority records (leader/06
"z" in MARC 21, "x"/"y"/"z" in UNIMARC) give their heading as ``title``, see-from forms as further
titles and their notes as ``description``.
"""

from __future__ import annotations

import pymarc

from .derive import _heading, _join, _link_occurrence, _name_part, _unimarc_title, strip_isbd, summarise

__all__ = ["DC_ELEMENTS", "record_to_dc"]

DC_ELEMENTS = (
    "title", "creator", "subject", "description", "publisher", "contributor", "date", "type", "format",
    "identifier", "source", "language", "relation", "coverage", "rights",
)

_ALPHA = frozenset("abcdefghijklmnopqrstuvwxyz")
_DIGITS = frozenset("0123456789")
_SUBDIV_MARC21 = frozenset("vxyz")
_SKIP_MARC21 = frozenset("0123456789ehiw4")
_SUBDIV_UNIMARC = frozenset("jxyz")

# DCMI Type Vocabulary from leader/06 (LC crosswalk, appendix on Type).
_MARC21_TYPES = {
    "a": "Text", "c": "Text", "d": "Text", "t": "Text", "e": "Image", "f": "Image", "g": "Image", "k": "Image",
    "i": "Sound", "j": "Sound", "m": "Software", "r": "PhysicalObject",
}
_UNIMARC_TYPES = {
    "a": "Text", "b": "Text", "c": "Text", "d": "Text", "e": "Image", "f": "Image", "g": "Image", "k": "Image",
    "i": "Sound", "j": "Sound", "l": "Software", "r": "PhysicalObject",
}


class _Out:
    """Values per element, in first-seen order, without repeats."""

    def __init__(self) -> None:
        self.values: dict[str, list[str]] = {e: [] for e in DC_ELEMENTS}

    def add(self, element: str, value: str | None) -> None:
        if not value:
            return
        value = " ".join(value.split())  # newlines and runs of spaces inside a subfield are not content
        seq = self.values[element]
        if value and value not in seq:
            seq.append(value)

    def pairs(self) -> list[tuple[str, str]]:
        return [(e, v) for e in DC_ELEMENTS for v in self.values[e]]


def _sub(f: pymarc.Field, codes: str | frozenset[str], sep: str = " ") -> str:
    return strip_isbd(sep.join(strip_isbd(v) for c, v in f.subfields if c in codes and v and strip_isbd(v)))


def _firsts(f: pymarc.Field, code: str) -> list[str]:
    return [v.strip() for c, v in f.subfields if c == code and v and v.strip()]


def _notes(f: pymarc.Field) -> str:
    return " ".join(v.strip() for c, v in f.subfields if c in _ALPHA and c != "u" and v.strip())


# ----------------------------------------------------------------------------------------- MARC 21

_M21_DESCRIPTION_SKIP = frozenset({"506", "530", "540", "546"})
_M21_CLASSIFICATION = frozenset({"050", "060", "080", "082"})
_M21_SUBJECT = frozenset({"600", "610", "611", "630", "650", "653"})
_M21_NAME_CODES = {"100": "abcdq", "110": "abcdn", "111": "acdenq", "700": "abcdq", "710": "abcdn",
                   "711": "acdenq", "720": "a"}


def _marc21(record: pymarc.Record, leader: str, out: _Out) -> None:
    f008 = ""
    for f in record.fields:
        tag = f.tag
        if tag == "008":
            f008 = f.data or ""
            continue
        if tag < "010" and tag.isdigit():
            continue
        if tag == "880":
            linked = _link_occurrence(next(iter(_firsts(f, "6")), ""))[0]
            if not linked or linked == "880":
                continue
            tag = linked
        if tag == "245":
            out.add("title", strip_isbd(_join(f, "abfgknps")))  # inner ISBD punctuation kept, as in the display
        elif tag == "246":
            out.add("title", strip_isbd(_join(f, "abfgnp")))
        elif tag in ("100", "110", "111"):
            out.add("creator", strip_isbd(_name_part(f, frozenset(_M21_NAME_CODES[tag]))))
        elif tag in ("700", "710", "711", "720"):
            out.add("contributor", strip_isbd(_name_part(f, frozenset(_M21_NAME_CODES[tag]))))
        elif tag in _M21_SUBJECT:
            out.add("subject", _heading(f, _SUBDIV_MARC21, _SKIP_MARC21))
        elif tag in _M21_CLASSIFICATION:
            out.add("subject", _sub(f, "ab"))
        elif tag in ("651", "662", "751", "752"):
            out.add("coverage", _heading(f, _SUBDIV_MARC21, _SKIP_MARC21))
        elif tag == "655":
            out.add("type", _heading(f, _SUBDIV_MARC21, _SKIP_MARC21))
        elif tag in ("260", "264"):
            if tag == "264" and f.indicator2 != "1":  # _0 production, _2 distribution, _3 manufacture, _4 ©
                if f.indicator2 == "4":
                    out.add("date", _sub(f, "c"))
                continue
            out.add("publisher", _sub(f, "ab", " : "))
            out.add("date", _sub(f, "cg"))
        elif tag in ("506", "540"):
            out.add("rights", _notes(f))
        elif tag == "546":
            out.add("language", _notes(f))
        elif tag == "530":
            out.add("relation", _notes(f))
        elif tag == "534":
            out.add("source", _sub(f, "t"))
        elif "500" <= tag <= "599" and tag not in _M21_DESCRIPTION_SKIP:
            out.add("description", _notes(f))
        elif tag == "786":
            out.add("source", _sub(f, "to", ". "))
        elif "760" <= tag <= "787":
            out.add("relation", _sub(f, "to", ". "))
        elif tag in ("490", "800", "810", "811", "830"):
            out.add("relation", strip_isbd(_join(f, "abcdfgklnpqstv")) if tag != "490" else _sub(f, "av", " ; "))
        elif tag == "300":
            out.add("format", _sub(f, "abce", " "))
        elif tag == "340":
            out.add("format", _sub(f, "abcdefhi", " ; "))
        elif tag == "856":
            for q in _firsts(f, "q"):
                out.add("format", q)
            for u in _firsts(f, "u"):
                out.add("identifier", u)
        elif tag == "024":
            for a in _firsts(f, "a"):
                out.add("identifier", a)
    if len(f008) >= 11:
        date1 = f008[7:11]
        if date1.isascii() and date1.isdigit() and date1 != "0000" and f008[6] not in "bn":
            # 008/07-10 is a normalised year; LC lists it beside 260 $c.
            out.add("date", date1)
    collection = leader[7] == "c" or (leader[6] == "p" and leader[7] == "s")
    out.add("type", "Collection" if collection else _MARC21_TYPES.get(leader[6]))


# ----------------------------------------------------------------------------------------- UNIMARC

_UNI_TITLES = frozenset("500 503 510 512 513 514 515 516 517 518 520 530 531 532 540 541".split())
_UNI_CREATORS = frozenset({"700", "710", "720"})
_UNI_CONTRIBUTORS = frozenset({"701", "702", "711", "712", "721", "722"})
_UNI_SUBJECTS = frozenset("600 601 602 604 605 606 608 615 616".split())
_UNI_CLASSIFICATION = frozenset({"675", "676", "680", "686"})
_UNI_NOTES_ELSEWHERE = frozenset({"302", "324", "371"})


def _unimarc_name(f: pymarc.Field) -> str:
    a, b = strip_isbd(next(iter(_firsts(f, "a")), "")), strip_isbd(next(iter(_firsts(f, "b")), ""))
    if f.tag[1] == "1":  # corporate body: subordinate units follow the name
        name = ". ".join(p for p in [a, *(strip_isbd(v) for v in _firsts(f, "b"))] if p)
    else:
        name = f"{a}, {b}" if a and b else a
        extra = [strip_isbd(v) for v in (*_firsts(f, "c"), *_firsts(f, "d")) if strip_isbd(v)]
        if extra:
            name = f"{name}, {' '.join(extra)}"
    dates = next(iter(_firsts(f, "f")), "")
    return f"{name} ({strip_isbd(dates).strip('()')})" if name and dates else name


def _unimarc(record: pymarc.Record, leader: str, out: _Out) -> None:
    year = ""
    for f in record.fields:
        tag = f.tag
        if tag == "003":
            data = (f.data or "").strip()
            if "://" in data or data.startswith("ark:"):  # UNIMARC 003 is the record's persistent identifier
                out.add("identifier", data)
            continue
        if tag < "010" and tag.isdigit():
            continue
        if tag == "100":
            data = next(iter(_firsts(f, "a")), "")
            if len(data) >= 13 and data[9:13].isascii() and data[9:13].isdigit() and data[9:13] != "0000":
                year = data[9:13]
        elif tag == "101":
            for code in _firsts(f, "a"):
                out.add("language", code.lower())
        elif tag == "200":
            out.add("title", _unimarc_title(f))
        elif tag in _UNI_TITLES:
            out.add("title", _unimarc_title(f))
        elif tag in _UNI_CREATORS:
            out.add("creator", _unimarc_name(f))
        elif tag in _UNI_CONTRIBUTORS:
            out.add("contributor", _unimarc_name(f))
        elif tag in ("210", "214"):
            for c in _firsts(f, "c"):
                out.add("publisher", strip_isbd(c).strip("[]"))
            for d in _firsts(f, "d"):
                out.add("date", strip_isbd(d))
        elif tag == "215":
            out.add("format", _sub(f, "acde", " ; "))
        elif tag == "230":
            out.add("format", _sub(f, "a"))
        elif tag == "610":
            for a in _firsts(f, "a"):
                out.add("subject", strip_isbd(a))
        elif tag in _UNI_SUBJECTS:
            out.add("subject", _heading(f, _SUBDIV_UNIMARC, _DIGITS, unimarc=True))
        elif tag in ("607", "617"):
            out.add("coverage", _heading(f, _SUBDIV_UNIMARC, _DIGITS, unimarc=True))
        elif tag in _UNI_CLASSIFICATION:
            out.add("subject", _sub(f, "a"))
        elif tag == "371":
            out.add("rights", _notes(f))
        elif tag == "324":
            out.add("source", _notes(f))
        elif tag == "302":
            out.add("language", _notes(f))  # note on language
        elif "300" <= tag <= "399":
            out.add("description", _notes(f))
        elif "410" <= tag <= "488":
            title = next(iter(_firsts(f, "t")), "") or next(iter(_firsts(f, "a")), "")
            volume = next(iter(_firsts(f, "v")), "")
            out.add("relation", strip_isbd(f"{strip_isbd(title)} ; {volume}" if title and volume else title))
        elif tag == "856":
            for q in _firsts(f, "q"):
                out.add("format", q)
            for u in _firsts(f, "u"):
                out.add("identifier", u)
    out.add("date", year)
    out.add("type", _UNIMARC_TYPES.get(leader[6]))


# ----------------------------------------------------------------------------------------- entry point


def record_to_dc(record: pymarc.Record, flavour: str) -> list[tuple[str, str]]:
    """Simple Dublin Core ``(element, value)`` pairs of a record; ``flavour`` is "marc21" or "unimarc"."""
    leader = str(record.leader or "").ljust(24)
    summary = summarise(record, flavour)
    out = _Out()
    if summary.kind == "authority":
        out.add("title", summary.title)
        if summary.title_original:
            out.add("title", summary.title_original)
        for title in summary.titles:
            out.add("title", title)
        for note in summary.notes:
            out.add("description", note)
        for language in summary.languages:
            out.add("language", language)
        return out.pairs()
    if flavour == "unimarc":
        _unimarc(record, leader, out)
    else:
        _marc21(record, leader, out)
    # ISBN/ISSN as validated and normalised by summarise (one check, shared with matching and the index).
    isbn_ids = [f"URN:ISBN:{n}" for n in summary.isbns]
    issn_ids = [f"URN:ISSN:{n}" for n in summary.issns]
    out.values["identifier"][:0] = [i for i in (*isbn_ids, *issn_ids) if i not in out.values["identifier"]]
    # Language codes lead (008/35-37 first, then 041 or UNIMARC 101), then language notes.
    codes = [c for c in summary.languages if c not in out.values["language"]]
    out.values["language"][:0] = codes
    return out.pairs()

"""Does this record describe the same manifestation as that one? Match features and a pairwise decision.

Pure Python (no Django), the same for MARC 21 and UNIMARC. :func:`features` reads one record into a
:class:`MatchFeatures` (identifiers, title and name forms in every script the record carries, years,
publisher, extent, edition and volume numbers); :func:`match_keys` gives the blocking keys the union
catalogue stores so that an incoming record finds its candidates with a few indexed lookups;
:func:`compare` scores a pair and says yes or no.

Text is compared through consonant skeletons (:mod:`kitabkhana.scripts.translit`), so a Persian
title in Arabic script, its ALA-LC romanisation and a romanisation without diacritics meet; the MARC 21
880 fields give each record both script forms where the cataloguer supplied them.

The decision (weights and thresholds are documented in ``docs/union-catalogue.md``):

* **vetoes** (never the same): ISBNs on both sides and none shared; LCCNs or national bibliography
  numbers on both sides and different; years on both sides more than one apart; edition numbers
  on both sides and different; volume/part numbers on both sides and different; small numbers in both
  titles, none shared (parts, quarters, volumes written into the title); very different titles.
* otherwise a **score**: a shared identifier, title similarity, name similarity, year, publisher
  and extent agreement add up; ``score >= THRESHOLD`` is a match.

Control numbers (001/003), system numbers (035) and local fields (852, 9XX) are never read: they say
which catalogue a record came from, not which book it describes (and the evaluation's labels are
built from them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import pymarc

from kitabkhana.marc.derive import RecordSummary, summarise

__all__ = ["TextFolding", "MatchFeatures", "MatchDecision", "features", "match_keys", "compare", "THRESHOLD",
           "features_to_json", "features_from_json", "title_similarity"]

THRESHOLD = 0.75
# Weights of the score (see compare); a shared identifier plus an agreeing title is far above the
# threshold, a title plus a name plus a year is just above it, a title alone is below it.
W_IDENTIFIER = 0.5
W_TITLE = 0.55
W_NAME = 0.2
W_NAME_MISMATCH = -0.25
W_NO_NAMES = 0.1  # an anonymous work on both sides is agreement too
W_NAME_UNKNOWN = 0.05  # names on one side only (a brief record): no evidence either way
W_YEAR_EXACT = 0.1
W_YEAR_NEAR = 0.03
W_PUBLISHER = 0.1
W_EXTENT = 0.1
W_EXTENT_MISMATCH = -0.2
W_EDITION = 0.05
W_BRIEF = 0.1  # a brief record (no names, no extent) has only its title and year to agree on
TITLE_FLOOR = 0.45  # below this title similarity nothing else can make a match
TITLE_FLOOR_WITH_ID = 0.25


@dataclass(frozen=True)
class TextFolding:
    """The text functions features are computed with.

    This module is a pure MARC core and may not import ``kitabkhana.scripts``; the caller (the union
    app, ``kitabkhana.union.features``) passes ``scripts.normalise.normalise`` and
    ``scripts.translit.skeleton``.
    """

    fold: Callable[[str], str]
    skeleton: Callable[[str], str]


@dataclass(slots=True)
class MatchFeatures:
    """What a record says about the book it describes, in comparable form."""

    isbns: list[str] = field(default_factory=list)
    issns: list[str] = field(default_factory=list)
    lccns: list[str] = field(default_factory=list)
    nbns: list[str] = field(default_factory=list)  # national bibliography numbers (015, UNIMARC 020)
    others: list[str] = field(default_factory=list)  # 024 / UNIMARC 017 other standard identifiers
    titles: list[str] = field(default_factory=list)  # skeletons of the title proper (+ part), per script
    full_titles: list[str] = field(default_factory=list)  # skeletons with the subtitle, per script
    names: list[str] = field(default_factory=list)  # skeletons of personal/corporate names
    years: list[int] = field(default_factory=list)
    publishers: list[str] = field(default_factory=list)
    pages: int | None = None
    edition: int | None = None
    volume: str = ""
    material: str = ""
    # References in the standard catalogues of early printing and manuscripts (MARC 510, UNIMARC 321),
    # "gw 8713", "goff d-318", "istc id00318000": two fragments of one title and date are different
    # editions exactly when these differ.
    citations: list[str] = field(default_factory=list)


@dataclass(slots=True)
class MatchDecision:
    same: bool
    score: float
    reasons: list[str]


# --------------------------------------------------------------------------------------------------
# Reading a record

_DIGITS = re.compile(r"\d+")
_LCCN_PREFIX = re.compile(r"^([a-z]{0,3})\s*(\d{2,4})-?(\d+)")
_ORDINALS = {
    # English, romanised Arabic/Persian/Turkish, Arabic/Persian script (normalised), Russian: the
    # ordinal words real edition statements use for 1-10.
    1: "first 1st premiere erste ula ulá awwal avval avvalin awwalin nakhust nukhust birinci ilk "
       "اول اولی الاولی اولین نخست первое первое",
    2: "second 2nd thaniyah thaniyah thaniya duvvum dovvom duvum ikinci الثانیه دوم دومین второе",
    3: "third 3rd thalithah thalitha sivvum sevvom suvum ucuncu الثالثه سوم سومین третье",
    4: "fourth 4th rabiah rabiʻah chaharum chaharom dorduncu الرابعه چهارم چهارمین четвертое",
    5: "fifth 5th khamisah panjum panjom besinci الخامسه پنجم پنجمین пятое",
    6: "sixth 6th sadisah shishum shisham altinci السادسه ششم ششمین шестое",
    7: "seventh 7th sabiah sabiʻah haftum haftom yedinci السابعه هفتم هفتمین седьмое",
    8: "eighth 8th thaminah hashtum hashtom sekizinci الثامنه هشتم هشتمین восьмое",
    9: "ninth 9th tasiah tasiʻah nuhum nohom dokuzuncu التاسعه نهم نهمین девятое",
    10: "tenth 10th ashirah ʻashirah dahum dahom onuncu العاشره دهم دهمین десятое",
}


@lru_cache(maxsize=4)
def _ordinal_words(fold: Callable[[str], str]) -> dict[str, int]:
    return {fold(w): n for n, words in _ORDINALS.items() for w in words.split()}


def _norm_isbn_like(t: TextFolding, value: str) -> str:
    return "".join(ch for ch in t.fold(value) if ch.isalnum())


def _lccn(value: str) -> str:
    """LCCN normalisation (LC's rules): no blanks or hyphen, the serial padded to six digits."""
    value = value.strip().lower().split("/")[0].replace(" ", "")
    m = _LCCN_PREFIX.match(value)
    if not m:
        return ""
    prefix, year, serial = m.groups()
    if "-" in value:
        return f"{prefix}{year}{serial.zfill(6)}"
    return f"{prefix}{year}{serial}"


def _edition_number(t: TextFolding, text: str) -> int | None:
    text = t.fold(text)
    words = _ordinal_words(t.fold)
    m = _DIGITS.search(text)
    if m and len(m.group()) <= 3:
        return int(m.group())
    for word in re.findall(r"[^\W\d_]+", text.replace("ʻ", "").replace("ʼ", "")):
        n = words.get(word)
        if n is None and word.startswith("al") and len(word) > 4:
            n = words.get(word[2:])
        if n is None and word.startswith("ال"):
            n = words.get(word)
        if n is not None:
            return n
    return None


def _volume(t: TextFolding, text: str) -> str:
    m = _DIGITS.search(t.fold(text))
    return m.group().lstrip("0") or "0" if m else t.skeleton(text)[:8]


def _pages(t: TextFolding, text: str) -> int | None:
    numbers = [int(n) for n in _DIGITS.findall(t.fold(text)) if len(n) <= 5]
    return max(numbers) if numbers else None


def _years(t: TextFolding, text: str) -> list[int]:
    return [int(n) for n in _DIGITS.findall(t.fold(text)) if len(n) == 4 and 1450 <= int(n) <= 2100]


def _sf(f: pymarc.Field, codes: str) -> str:
    return " ".join(sf.value for sf in f.subfields if sf.code in codes and sf.value)


def _add(seq: list, value) -> None:
    if value and value not in seq:
        seq.append(value)


def features(
    record: pymarc.Record, flavour: str, *, text: TextFolding, summary: RecordSummary | None = None
) -> MatchFeatures:
    """The match features of one bibliographic record (MARC 21 or UNIMARC).

    ``summary``: the record's summary when the caller already has it (an import just derived it).
    """
    t = text
    summary = summary or summarise(record, flavour)
    out = MatchFeatures(isbns=list(summary.isbns), issns=list(summary.issns), material=summary.material_type)
    if summary.year:
        out.years.append(summary.year)
    for y in _years(t, summary.date_text):
        _add(out.years, y)
    if flavour == "unimarc":
        _unimarc(record, out, t)
    else:
        _marc21(record, out, t)
    if not out.titles and summary.title:
        _add(out.titles, t.skeleton(summary.title))
    return out


# A leading article is dropped: catalogues disagree on it (brief records omit "al-", MARC 245 ind2 is
# often unset) and it would otherwise start every Arabic title key with the same class.
_ARTICLE = re.compile(r"^\W*(?:(?:al|el)-|(?:the|a|an|le|la|les|der|die|das|ho|he|to|hoi|hai|ta)\s+|l'|ال(?=\w{2}))",
                      re.IGNORECASE)


def _title_forms(main: str, part: str, sub: str, out: MatchFeatures, t: TextFolding) -> None:
    base = _ARTICLE.sub("", f"{main} {part}".strip(), count=1)
    _add(out.titles, t.skeleton(base))
    _add(out.full_titles, t.skeleton(f"{base} {sub}".strip()))


def _marc21(record: pymarc.Record, out: MatchFeatures, t: TextFolding) -> None:
    for f in record.fields:
        tag = f.tag
        if tag == "880":
            link = next((sf.value for sf in f.subfields if sf.code == "6"), "")
            tag = link[:3]
            if not tag.isdigit():
                continue
        if f.is_control_field():
            continue
        if tag == "245":
            _title_forms(_sf(f, "a"), _sf(f, "np"), _sf(f, "b"), out, t)
            for sf in f.subfields:
                if sf.code == "n" and not out.volume:
                    out.volume = _volume(t, sf.value)
        elif tag in ("100", "110", "111", "700", "710", "711"):
            _add(out.names, t.skeleton(_sf(f, "a")))
        elif tag in ("260", "264"):
            for sf in f.subfields:
                if sf.code == "b":
                    _add(out.publishers, t.skeleton(sf.value))
                elif sf.code == "c":
                    for y in _years(t, sf.value):
                        _add(out.years, y)
        elif tag == "250":
            if out.edition is None:
                out.edition = _edition_number(t, _sf(f, "a"))
        elif tag == "300":
            if out.pages is None:
                out.pages = _pages(t, _sf(f, "a"))
        elif tag == "510":
            _citation(f, out)
        elif tag == "010":
            for sf in f.subfields:
                if sf.code == "a":
                    _add(out.lccns, _lccn(sf.value))
        elif tag == "015":
            for sf in f.subfields:
                if sf.code == "a":
                    _add(out.nbns, _norm_isbn_like(t, sf.value.split("(")[0]))
        elif tag == "024":
            for sf in f.subfields:
                if sf.code == "a":
                    _add(out.others, _norm_isbn_like(t, sf.value))
        elif tag == "020" and not out.volume:
            # "020 $q v. 2": the ISBN of one volume of a set.
            for sf in f.subfields:
                if sf.code == "q" and re.search(r"\b(v|vol|j|juz|jild|т|ч)\b", t.fold(sf.value)):
                    out.volume = _volume(t, sf.value)


def _unimarc(record: pymarc.Record, out: MatchFeatures, t: TextFolding) -> None:
    for f in record.fields:
        if f.is_control_field():
            continue
        tag = f.tag
        if tag == "200":
            _title_forms(_sf(f, "a"), _sf(f, "hi"), _sf(f, "e"), out, t)
            for sf in f.subfields:
                if sf.code == "h" and not out.volume:
                    out.volume = _volume(t, sf.value)
        elif tag in ("700", "701", "702"):
            # UNIMARC splits a personal name: $a the entry element, $b the rest ("Bayyūmī" / "al-Sibāʻī");
            # MARC 21 keeps both in $a ("Bayyūmī, al-Sibāʻī"), so the key joins them.
            _add(out.names, t.skeleton(f"{_sf(f, 'a')} {_sf(f, 'b')}".strip()))
        elif tag in ("710", "711", "712"):
            _add(out.names, t.skeleton(_sf(f, "a")))
        elif tag in ("210", "214"):
            for sf in f.subfields:
                if sf.code == "c":
                    _add(out.publishers, t.skeleton(sf.value))
                elif sf.code == "d":
                    for y in _years(t, sf.value):
                        _add(out.years, y)
        elif tag == "205":
            if out.edition is None:
                out.edition = _edition_number(t, _sf(f, "a"))
        elif tag == "215":
            if out.pages is None:
                out.pages = _pages(t, _sf(f, "a"))
        elif tag == "020":
            country = _sf(f, "a").strip().upper()
            for sf in f.subfields:
                if sf.code == "b":
                    _add(out.nbns, f"{country}{_norm_isbn_like(t, sf.value)}")
        elif tag == "017":
            for sf in f.subfields:
                if sf.code == "a":
                    _add(out.others, _norm_isbn_like(t, sf.value))
        elif tag == "321":
            _citation(f, out)


# Catalogues whose numbers identify an edition (incunabula, early printed books, manuscripts).
_CITATION_SOURCES = {"gw", "goff", "istc", "bmc", "hain", "bsb-ink", "cibn", "ustc", "vd16", "vd17", "estc", "stc"}
_CITATION_NUMBER = re.compile(r"[0-9a-z][0-9a-z./-]*")


def _citation(f: pymarc.Field, out: MatchFeatures) -> None:
    """MARC 510 / UNIMARC 321 $a source, $c number within it: "GW" + "8713." → "gw 8713"."""
    source = _sf(f, "a").strip().rstrip(".,;: ").lower()
    number = _CITATION_NUMBER.search(_sf(f, "c").lower())
    if source in _CITATION_SOURCES and number:
        _add(out.citations, f"{source} {number.group().rstrip('./-')}")


# --------------------------------------------------------------------------------------------------
# Stored form and blocking keys

def features_to_json(f: MatchFeatures) -> str:
    """A compact JSON form (empty values left out) for the union catalogue's stored profile."""
    return json.dumps({k: v for k, v in asdict(f).items() if v}, ensure_ascii=False, separators=(",", ":"))


def features_from_json(text: str) -> MatchFeatures:
    return MatchFeatures(**json.loads(text))


BLOCK_PREFIX = 7  # skeleton classes of the title in a title+year key: long enough to be selective
LONG_PREFIX = 10  # ... in a title key without a year (a record whose year is missing or wrong)


def match_keys(f: MatchFeatures) -> list[tuple[str, str]]:
    """(kind, value) blocking keys: records sharing a key are compared; records sharing none never are.

    Kinds: ``isbn``, ``issn``, ``lccn``, ``nbn``, ``other`` (identifier values), ``ty`` (title skeleton
    prefix + year; every year is also keyed as year+1 so that years one apart share a key; ``ty`` with
    year ``-`` when the record has none), ``tp`` (a longer title skeleton prefix, no year: one side
    has no year or a wrong one) and ``ny`` (name skeleton + year) for titles that differ at the start
    (a leading word dropped, a subtitle moved).
    """
    keys: list[tuple[str, str]] = []
    for kind, values in (("isbn", f.isbns), ("issn", f.issns), ("lccn", f.lccns), ("nbn", f.nbns),
                         ("other", f.others)):
        for v in values:
            keys.append((kind, v[:64]))
    years = sorted({y + d for y in f.years[:3] for d in (0, 1)}) or ["-"]
    prefixes = {t[:BLOCK_PREFIX] for t in f.titles if len(t) >= 2}
    for p in sorted(prefixes):
        for y in years:
            keys.append(("ty", f"{p}|{y}"))
    for t in sorted({t[:LONG_PREFIX] for t in f.titles if len(t) >= LONG_PREFIX}):
        keys.append(("tp", t))
    for name in f.names[:2]:
        if len(name) >= 3:
            for y in years:
                keys.append(("ny", f"{name[:6]}|{y}"))
    return list(dict.fromkeys(keys))


# --------------------------------------------------------------------------------------------------
# Comparing

@lru_cache(maxsize=1 << 18)
def _bigrams(text: str) -> frozenset[str]:
    # Cached: a rebuild compares each record with several others, and keys repeat across records.
    if len(text) < 2:
        return frozenset((text,)) if text else frozenset()
    return frozenset(text[i:i + 2] for i in range(len(text) - 1))


def _dice(a: str, b: str) -> float:
    if a == b:
        return 1.0 if a else 0.0
    ba, bb = _bigrams(a), _bigrams(b)
    if not ba or not bb:
        return 0.0
    return 2 * len(ba & bb) / (len(ba) + len(bb))


def _best(xs: list[str], ys: list[str]) -> float:
    best = 0.0
    for x in xs:
        for y in ys:
            s = _dice(x, y)
            if s > best:
                best = s
                if best == 1.0:
                    return best
    return best


def _prefix_sim(xs: list[str], ys: list[str]) -> float:
    """A brief record's title can be the first words of the full one: compare on the shorter length."""
    best = 0.0
    for x in xs:
        for y in ys:
            n = min(len(x), len(y))
            if n >= 6:
                best = max(best, _dice(x[:n], y[:n]) * (0.9 if len(x) != len(y) else 1.0))
    return best


_NUMBER = re.compile(r"\d+")


def _title_numbers(f: MatchFeatures) -> frozenset[str]:
    """Small numbers in the title proper (parts, quarters, volumes), the same in every script; years and
    other long numbers are left out (a brief record may carry a date the full one puts elsewhere)."""
    return frozenset(n.lstrip("0") or "0" for t in f.titles for n in _NUMBER.findall(t) if len(n) <= 3)


def title_similarity(a: MatchFeatures, b: MatchFeatures) -> float:
    return max(_best(a.titles, b.titles), _best(a.full_titles, b.full_titles),
               _prefix_sim(a.full_titles, b.full_titles) * 0.95)


def compare(a: MatchFeatures, b: MatchFeatures) -> MatchDecision:
    """Score a pair; vetoes first. ``reasons`` say what counted (shown to staff on the cluster page)."""
    reasons: list[str] = []
    score = 0.0
    shared_id = False
    for label, xs, ys in (("ISBN", a.isbns, b.isbns), ("ISSN", a.issns, b.issns), ("LCCN", a.lccns, b.lccns),
                          ("NBN", a.nbns, b.nbns), ("other id", a.others, b.others)):
        if xs and ys:
            if set(xs) & set(ys):
                shared_id = True
                reasons.append(f"same {label}")
            elif label in ("ISBN", "LCCN", "NBN"):
                return MatchDecision(False, 0.0, [f"different {label}s"])
    if shared_id:
        score += W_IDENTIFIER
    if a.years and b.years:
        gap = min(abs(x - y) for x in a.years for y in b.years)
        if gap > 1:
            return MatchDecision(False, 0.0, [f"years {a.years[0]} and {b.years[0]}"])
        score += W_YEAR_EXACT if gap == 0 else W_YEAR_NEAR
        reasons.append("same year" if gap == 0 else "years one apart")
    if a.edition is not None and b.edition is not None:
        if a.edition != b.edition:
            return MatchDecision(False, 0.0, [f"editions {a.edition} and {b.edition}"])
        score += W_EDITION
        reasons.append(f"edition {a.edition}")
    if a.volume and b.volume and a.volume != b.volume:
        return MatchDecision(False, 0.0, [f"volumes {a.volume} and {b.volume}"])
    common_sources = {c.split(" ", 1)[0] for c in a.citations} & {c.split(" ", 1)[0] for c in b.citations}
    if common_sources and not set(a.citations) & set(b.citations):
        return MatchDecision(False, 0.0, [f"different {'/'.join(sorted(common_sources)).upper()} numbers"])
    if a.material and b.material and a.material != b.material and "serial" in (a.material, b.material):
        return MatchDecision(False, 0.0, ["serial and monograph"])
    numbers_a, numbers_b = _title_numbers(a), _title_numbers(b)
    if numbers_a and numbers_b and not numbers_a & numbers_b:
        return MatchDecision(False, round(score, 3), [*reasons, "different numbers in the titles"])
    ts = title_similarity(a, b)
    brief = (not a.names and a.pages is None) or (not b.names and b.pages is None)
    if ts < (TITLE_FLOOR_WITH_ID if shared_id else TITLE_FLOOR):
        return MatchDecision(False, round(score, 3), [*reasons, f"titles differ ({ts:.2f})"])
    score += W_TITLE * ts
    reasons.append(f"title {ts:.2f}")
    if a.names and b.names:
        ns = _best(a.names, b.names)
        if ns >= 0.5:
            score += W_NAME * ns
            reasons.append(f"name {ns:.2f}")
        else:
            score += W_NAME_MISMATCH
            reasons.append("names differ")
    elif not a.names and not b.names:
        score += W_NO_NAMES
        reasons.append("no names on either side")
    else:
        score += W_NAME_UNKNOWN
    if a.publishers and b.publishers:
        ps = _best(a.publishers, b.publishers)
        if ps >= 0.5:
            score += W_PUBLISHER * ps
            reasons.append(f"publisher {ps:.2f}")
    if a.pages and b.pages and a.pages >= 10 and b.pages >= 10:
        ratio = min(a.pages, b.pages) / max(a.pages, b.pages)
        if ratio >= 0.97:
            score += W_EXTENT
            reasons.append("same extent")
        elif ratio < 0.85:
            score += W_EXTENT_MISMATCH
            reasons.append(f"extents {a.pages} and {b.pages}")
    if brief and ts >= 0.9 and a.years and b.years and a.years[0] == b.years[0]:
        score += W_BRIEF
        reasons.append("brief record: title and year")
    score = round(score, 3)
    return MatchDecision(score >= THRESHOLD, score, reasons)

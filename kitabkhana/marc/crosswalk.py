"""Convert bibliographic and authority records between MARC 21 and UNIMARC, saying what is lost.

The mapping is data: ``crosswalk_tables/bibliographic.tsv`` and ``authority.tsv`` hold one row per
correspondence (tag, indicators, subfield pairs, direction, named rules), and ``codes.json`` the code
lists (leader values, 008 <-> 100$a positions, relators, countries, scripts). This module is the
interpreter of those rows plus the few named special cases a row cannot express:

* the leader, control fields, MARC 008 <-> UNIMARC 100/101/102/105/106/110 and 040 <-> 801;
* ``title`` (245 <-> 200: parallel titles, statements of responsibility, GMD), ``nonfiling``
  (MARC non-filing indicator <-> UNIMARC NSB/NSE control characters U+0088/U+0089);
* ``personal``/``corporate`` names ("Surname, Forename" <-> $a/$b, relator terms and codes <-> UNIMARC
  numeric relator codes) and ``responsibility`` (701 or 702 by relator);
* ``subject`` (MARC thesaurus indicator <-> UNIMARC $2), ``link`` (76X-78X/8XX <-> 4XX, including
  RUSMARC's embedded-field $1 technique), ``isbn``, ``lccn``/``natbib``, ``languages``, ``country``;
* alternate scripts: MARC 880 linked by $6 "245-01/(3/r" <-> a repeated UNIMARC field with $6 "a01"
  (linking number) and $7 "fa" (script code), so the parallel pairing survives both ways;
* ISBD punctuation: stripped on the way into UNIMARC (which carries none), supplied on the way back.

Everything in the source that the tables do not carry is listed in ``CrosswalkResult.losses``, one line
per lost element. Pure Python (pymarc and the standard library), no Django.
"""

from __future__ import annotations

import copy
import datetime
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pymarc
from pymarc import Field, Indicators, Subfield

from .derive import scripts_of, strip_isbd
from .diff import field_text
from .errors import RecordError
from .profile import load_profile

__all__ = ["CrosswalkError", "CrosswalkResult", "FORMATS", "crosswalk", "marc21_to_unimarc",
           "round_trip_losses", "unimarc_to_marc21"]

TABLE_DIR = Path(__file__).resolve().parent / "crosswalk_tables"
FORMATS = ("marc21", "unimarc")
NSB, NSE = "\x88", "\x89"  # UNIMARC non-sorting begin/end (ISO 6630), as code points in a UTF-8 record
# Some UTF-8 UNIMARC (Koha, Abes) marks the same with START OF STRING / STRING TERMINATOR; read both.
_NON_SORT = {"\x88": "\x89", "\x98": "\x9c"}


@dataclass
class CrosswalkResult:
    record: pymarc.Record
    losses: list[str] = field(default_factory=list)


class CrosswalkError(RecordError):
    """The record cannot be crosswalked at all (no title, not bibliographic or authority...)."""


# --------------------------------------------------------------------------------------------------
# The tables


@dataclass(frozen=True, slots=True)
class _Cell:
    """One indicator cell of a row: a literal, 'any', or a reference to the other side's indicator."""

    literal: str | None = None  # written as is
    matches_any: bool = True
    ref: int | None = None  # 0/1: copy that indicator of the source field
    codes: str | None = None  # code list translating the copied value

    def matches(self, value: str) -> bool:
        return self.matches_any or value == self.literal


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    marc: str
    marc_ind: tuple[_Cell, _Cell]
    unimarc: str
    uni_ind: tuple[_Cell, _Cell]
    to_uni: tuple[tuple[str, str], ...]  # (marc code, unimarc code)
    to_marc: tuple[tuple[str, str], ...]  # (unimarc code, marc code)
    direction: str
    rules: tuple[str, ...]
    note: str


@dataclass(frozen=True, slots=True)
class _Table:
    name: str
    forward: dict[str, list[_Row]]  # MARC tag -> rows usable MARC 21 -> UNIMARC
    reverse: dict[str, list[_Row]]  # UNIMARC tag -> rows usable UNIMARC -> MARC 21


def _parse_cell(text: str, *, where: str) -> _Cell:
    if text == "#":
        return _Cell(literal=" ", matches_any=True)
    if re.fullmatch(r"[0-9a-z ]", text):
        return _Cell(literal=text, matches_any=False)
    if re.fullmatch(r"[0-9a-z]\*", text):
        return _Cell(literal=text[0], matches_any=True)
    m = re.fullmatch(r"[mu]([12])(?::(\w+))?", text)
    if m:
        return _Cell(ref=int(m.group(1)) - 1, codes=m.group(2))
    raise ValueError(f"{where}: indicator cell {text!r} is not '#', a value, 'x*' or 'm1'/'u2[:codes]'")


def _parse_subfields(text: str, *, where: str) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    to_uni: list[tuple[str, str]] = []
    to_marc: list[tuple[str, str]] = []
    for token in text.split():
        m = re.fullmatch(r"([0-9a-z])([=<>])([0-9a-z])", token)
        if not m:
            raise ValueError(f"{where}: subfield pair {token!r} is not like 'a=a', 'b>e' or 'b<d'")
        marc, op, uni = m.groups()
        if op in "=>":
            to_uni.append((marc, uni))
        if op in "=<":
            to_marc.append((uni, marc))
    return tuple(to_uni), tuple(to_marc)


@lru_cache(maxsize=4)
def _table(name: str) -> _Table:
    return _load_table(TABLE_DIR / f"{name}.tsv")


def _load_table(path: Path) -> _Table:
    """Parse one crosswalk table; a malformed row is a ``ValueError`` naming the file and line."""
    forward: dict[str, list[_Row]] = {}
    reverse: dict[str, list[_Row]] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        where = f"{path.name} line {number}"
        cols = raw.split("\t")
        if len(cols) != 10:
            raise ValueError(f"{where}: {len(cols)} columns, expected 10")
        marc, mi1, mi2, uni, ui1, ui2, subfields, direction, rules, note = cols
        if direction not in ("=", ">", "<"):
            raise ValueError(f"{where}: direction {direction!r} is not '=', '>' or '<'")
        unknown = set(filter(None, rules.split(","))) - _RULE_NAMES
        if unknown:
            raise ValueError(f"{where}: unknown rule(s) {sorted(unknown)}")
        to_uni, to_marc = _parse_subfields(subfields, where=where)
        for cell_text in (mi1, mi2, ui1, ui2):
            name = cell_text.partition(":")[2]
            if name and name not in _codes():
                raise ValueError(f"{where}: code list {name!r} is not in codes.json")
        row = _Row(number, marc, (_parse_cell(mi1, where=where), _parse_cell(mi2, where=where)), uni,
                   (_parse_cell(ui1, where=where), _parse_cell(ui2, where=where)), to_uni, to_marc, direction,
                   tuple(filter(None, rules.split(","))), note)
        if direction in "=>":
            forward.setdefault(marc, []).append(row)
        if direction in "=<":
            reverse.setdefault(uni, []).append(row)
    return _Table(path.stem, forward, reverse)


@lru_cache(maxsize=1)
def _codes() -> dict:
    return json.loads((TABLE_DIR / "codes.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=128)
def _code_map(name: str, reverse: bool) -> dict[str, str]:
    codes = _codes()
    if name not in codes:
        raise ValueError(f"codes.json has no code list {name!r}")
    if not reverse:
        return codes[name]
    if f"{name}_reverse" in codes:
        return codes[f"{name}_reverse"]
    inverted: dict[str, str] = {}
    for key, value in codes[name].items():
        if key == value:  # an identical code is the best way back
            inverted[value] = key
        else:
            inverted.setdefault(value, key)
    return inverted


@lru_cache(maxsize=1)
def _relators() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(MARC code -> UNIMARC code, UNIMARC code -> MARC code, term -> MARC code)."""
    codes = _codes()
    to_uni = {marc: uni for marc, uni, _ in codes["relators"]}
    to_uni.update(codes["relator_extra"])
    to_marc: dict[str, str] = {}
    for marc, uni, _ in codes["relators"]:
        to_marc.setdefault(uni, marc)
    terms = {term: marc for marc, _, term in codes["relators"]}
    terms.update(codes["relator_terms"])
    return to_uni, to_marc, terms


# --------------------------------------------------------------------------------------------------
# One conversion


_Triple = list  # [source code, target code, value]: the working form of a converted field's subfields


class _Conversion:
    """The state of converting one record: the direction, the record's context and the losses so far."""

    def __init__(self, record: pymarc.Record, *, to_unimarc: bool, authority: bool) -> None:
        self.source = record
        self.to_unimarc = to_unimarc
        self.authority = authority
        self.table = _table("authority" if authority else "bibliographic")
        self.losses: list[str] = []
        self._seen: set[str] = set()
        self.target_name = "UNIMARC" if to_unimarc else "MARC 21"
        self.has_main_entry = False  # MARC 245 ind1 on the way back: is there a 1XX?

    def lose(self, message: str) -> None:
        if message not in self._seen:
            self._seen.add(message)
            self.losses.append(message)

    def no_equivalent(self, what: str) -> None:
        self.lose(f"{what}: no {self.target_name} equivalent")

    def code(self, name: str, value: str, *, what: str) -> str | None:
        """``value`` through code list ``name``; a value with no equivalent, or one that several source
        values share (so the way back cannot restore it), is reported."""
        reverse = not self.to_unimarc
        table = _code_map(name, reverse)
        if value not in table:
            if value != "|":
                self.lose(f"{what} {value!r}: no {self.target_name} equivalent")
            return None
        mapped = table[value]
        if value not in (" ", "|") and _code_map(name, not reverse).get(mapped) != value:
            self.lose(f"{what} {value!r}: no exact {self.target_name} equivalent, written {mapped!r}")
        return mapped


def _sub(field_: Field, code: str) -> str:
    for sf in field_.subfields:
        if sf.code == code and sf.value:
            return sf.value
    return ""


def _subs(field_: Field, code: str) -> list[str]:
    return [sf.value for sf in field_.subfields if sf.code == code and sf.value]


def _indicators(field_: Field) -> tuple[str, str]:
    ind = field_.indicators or ("", "")
    a = (ind[0] if len(ind) > 0 else " ") or " "
    b = (ind[1] if len(ind) > 1 else " ") or " "
    return a, b


def _row_for(conv: _Conversion, tag: str, field_: Field) -> _Row | None:
    rows = (conv.table.forward if conv.to_unimarc else conv.table.reverse).get(tag, [])
    inds = _indicators(field_)
    for row in rows:
        cells = row.marc_ind if conv.to_unimarc else row.uni_ind
        if all(cell.matches(value) for cell, value in zip(cells, inds, strict=False)):
            accepts = [_ACCEPTS[rule] for rule in row.rules if rule in _ACCEPTS]
            if all(check(conv, row, field_) for check in accepts):
                return row
    return None


def _write_indicators(conv: _Conversion, row: _Row, tag: str, source_inds: tuple[str, str]) -> list[str]:
    cells = row.uni_ind if conv.to_unimarc else row.marc_ind
    out: list[str] = []
    for _n, cell in enumerate(cells):
        if cell.ref is None:
            out.append(cell.literal or " ")
            continue
        value = source_inds[cell.ref]
        if value == "|":  # fill character: no attempt to code
            value = " "
        if cell.codes:
            mapped = _code_map(cell.codes, not conv.to_unimarc).get(value)
            if mapped is None:
                if value.strip():
                    conv.lose(f"{tag} ind{cell.ref + 1} {value!r}: no {conv.target_name} equivalent")
                mapped = " "
            value = mapped
        out.append(value)
    return out


# Indicators a named rule reads itself, by (rule, source side): 0 = ind1, 1 = ind2.
_RULE_INDICATORS = {("title", "marc"): {0}, ("title", "unimarc"): {0, 1}, ("subject", "marc"): {1},
                    ("nonfiling", "unimarc"): {1}}
_NONFILING_INDICATOR_OF = {"245": 1, "240": 1, "130": 0, "222": 1, "440": 1, "630": 0, "730": 1, "830": 1}


def _indicator_losses(conv: _Conversion, row: _Row, tag: str, field_: Field) -> None:
    """A source indicator with a value that no cell of the row matches, copies or a rule reads is lost."""
    side = "marc" if conv.to_unimarc else "unimarc"
    source_cells = row.marc_ind if conv.to_unimarc else row.uni_ind
    target_cells = row.uni_ind if conv.to_unimarc else row.marc_ind
    used = {cell.ref for cell in target_cells if cell.ref is not None}
    for rule in row.rules:
        used |= _RULE_INDICATORS.get((rule, side), set())
    if conv.to_unimarc and "nonfiling" in row.rules and row.marc in _NONFILING_INDICATOR_OF:
        used.add(_NONFILING_INDICATOR_OF[row.marc])
    for n, value in enumerate(_indicators(field_)):
        cell = source_cells[n]
        if value.strip() and value != "|" and n not in used and cell.matches_any and cell.ref is None and \
                cell.literal != value:
            conv.lose(f"{tag} ind{n + 1} {value!r}: no {conv.target_name} equivalent")


def _convert_field(conv: _Conversion, tag: str, field_: Field) -> Field | None:
    """One data field through its row and rules; ``tag`` is the field's own tag (or its 880 partner's)."""
    row = _row_for(conv, tag, field_)
    if row is None:
        conv.no_equivalent(tag)
        return None
    pairs = dict(row.to_uni if conv.to_unimarc else row.to_marc)
    target_tag = row.unimarc if conv.to_unimarc else row.marc
    triples: list[_Triple] = []
    for sf in field_.subfields:
        if sf.code in ("6", "7") and not conv.to_unimarc and sf.code in _script_codes_present(field_):
            continue
        if sf.code == "6" and conv.to_unimarc:
            continue
        target = pairs.get(sf.code)
        if target is None:
            conv.no_equivalent(f"{tag} ${sf.code}")
            continue
        triples.append([sf.code, target, sf.value])
    indicators = _write_indicators(conv, row, tag, _indicators(field_))
    _indicator_losses(conv, row, tag, field_)
    out = Field(tag=target_tag, indicators=Indicators(*indicators), subfields=[])
    for rule in row.rules:  # each named rule returns the field's subfields as it leaves them
        triples = _RULES[rule](conv, row, field_, out, triples)
    if conv.to_unimarc and _PUNCTUATED.intersection(row.rules):
        for t in triples:
            if t[2] and t[1] != "1":  # $1 carries an embedded tag and indicators, blanks included
                t[2] = strip_isbd(t[2])
    elif not conv.to_unimarc and _PUNCTUATED.intersection(row.rules):
        _add_isbd(out.tag, triples, authority=conv.authority)
    out.subfields = [Subfield(t[1], t[2]) for t in triples if t[2]]
    if all(sf.code == "1" for sf in out.subfields):  # nothing but embedded-field markers, or nothing at all
        return None
    return out


def _script_codes_present(field_: Field) -> set[str]:
    """Which of $6/$7 in a UNIMARC field are the alternate-script link (not other uses of the codes)."""
    found: set[str] = set()
    for sf in field_.subfields:
        if sf.code == "6" and re.fullmatch(r"a\d\d(\d{3})?", sf.value or ""):
            found.add("6")
        elif sf.code == "7" and re.fullmatch(r"[a-z]{2}([a-z]{2})?.*", sf.value or ""):
            found.add("7")
    return found


# --------------------------------------------------------------------------------------------------
# ISBD punctuation

_END_PUNCT = ".?!-"
_ARABIC_LETTER = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
# Rows whose MARC 21 side carries ISBD punctuation inside subfields (notes and identifiers do not).
_PUNCTUATED = frozenset({"isbd", "title", "personal", "corporate", "subject", "link"})


def _add_isbd(tag: str, triples: list[_Triple], *, authority: bool = False) -> None:
    """Supply the ISBD punctuation MARC 21 keeps inside subfields (UNIMARC keeps none).

    Authority headings and tracings take the separators of the heading (4XX/5XX as 1XX) but no
    closing full stop, as LC writes them.
    """
    isbd = _codes()["isbd_marc21"]
    rules = isbd.get(tag)
    if authority:
        rules = isbd.get("1" + tag[1:]) or rules
        rules = {k: v for k, v in rules.items() if k != "end"} if rules else rules
    if not rules:
        return
    kept = [t for t in triples if t[2] and t[1].isalpha()]
    # Arabic-script ISBD writes the Arabic semicolon and comma.
    arabic = any(_ARABIC_LETTER.search(t[2]) for t in kept)
    for previous, current in zip(kept, kept[1:], strict=False):
        sep = rules.get(current[1])
        if sep and arabic:
            sep = sep.replace(";", "\u061b").replace(",", "\u060c")
        value = previous[2].rstrip()
        # A value already closed by a separator keeps it ("Title =" before a parallel title); a full stop
        # after an abbreviation does not count ("79 с." still takes " :" before $b).
        if sep and value and value[-1] not in ":;/=,+\u061b\u060c" and not value.endswith(sep.strip() or " "):
            previous[2] = value + sep
    end = rules.get("end")
    if end and kept:
        value = kept[-1][2].rstrip()
        if value and value[-1] not in _END_PUNCT:
            kept[-1][2] = value + end


# --------------------------------------------------------------------------------------------------
# Named rules: each receives (conversion, row, source field, output field, triples) and may return
# new triples. ``_ACCEPTS`` holds rules that also decide whether a row applies to a field.


def _rule_isbd(conv: _Conversion, row: _Row, src: Field, out: Field, triples: list[_Triple]):
    """A marker: the row's MARC side carries ISBD punctuation (stripped or supplied in _convert_field)."""
    return triples


_NONFILING_IND = _NONFILING_INDICATOR_OF
_DROP_NON_SORT = str.maketrans("", "", "\x88\x89\x98\x9c")


def _rule_nonfiling(conv: _Conversion, row: _Row, src: Field, out: Field, triples: list[_Triple]):
    first_a = next((t for t in triples if t[1] == "a" and t[2]), None) if conv.to_unimarc else \
        next((t for t in triples if t[0] == "a" and t[2]), None)
    if conv.to_unimarc:
        n_ind = _NONFILING_IND.get(row.marc)
        count = _indicators(src)[n_ind] if n_ind is not None else "0"
        if first_a is not None and count.isdigit() and 0 < int(count) < len(first_a[2]):
            n = int(count)
            first_a[2] = f"{NSB}{first_a[2][:n]}{NSE}{first_a[2][n:]}"
        return triples
    n_ind = _NONFILING_IND.get(out.tag)
    count = 0
    opener = first_a[2][:1] if first_a is not None else ""
    if opener in _NON_SORT and _NON_SORT[opener] in first_a[2]:
        head, _, rest = first_a[2][1:].partition(_NON_SORT[opener])
        count = len(head)
        first_a[2] = head + rest
    elif row.unimarc == "200" and _indicators(src)[1].isdigit():
        # Some French systems keep the non-filing count in 200 ind2 (undefined in UNIMARC); honour it.
        count = int(_indicators(src)[1])
    for t in triples:
        t[2] = t[2].translate(_DROP_NON_SORT)
    if n_ind is not None:
        inds = list(_indicators(out))
        inds[n_ind] = str(min(count, 9))
        out.indicators = Indicators(*inds)
    return triples


def _rule_title(conv: _Conversion, row: _Row, src: Field, out: Field, triples: list[_Triple]):
    if conv.to_unimarc:
        result: list[_Triple] = []
        previous_raw = ""
        for t in triples:
            code, target, value = t
            if code == "b" and previous_raw.rstrip().endswith("="):
                target = "d"
            if code == "h":
                value = value.strip().strip("[]").rstrip(" :;/.=,]").strip("[]").strip()
            if code == "c":
                parts = [p for p in re.split(r"\s;\s", value) if p.strip()]
                for i, part in enumerate(parts):
                    result.append([code, "f" if i == 0 else "g", part])
                previous_raw = value
                continue
            previous_raw = value
            result.append([code, target, value])
        # MARC 245 ind1 '0' beside a 1XX means "no title added entry": the UNIMARC title is not an access point.
        inds = list(_indicators(out))
        inds[0] = "0" if _indicators(src)[0] == "0" and conv.has_main_entry else "1"
        out.indicators = Indicators(*inds)
        return result
    # UNIMARC 200 -> MARC 245: one $a, one $b and one $c (MARC does not repeat them).
    result = []
    by_target: dict[str, _Triple] = {}
    for code, target, value in triples:
        value = value.strip()
        if code == "b":
            value = f"[{value}]"
        if target in ("a", "b", "c") and target in by_target:
            kept = by_target[target]
            sep = {"a": " ; ", "b": " = " if code == "d" else " : ", "c": " ; "}[target]
            kept[2] = kept[2].rstrip(" :;/=,") + sep + value
            continue
        t = [code, target, value]
        if target in ("a", "b", "c"):
            by_target[target] = t
        result.append(t)
    # "Title = Parallel title": the separator before $b is '=' when $b came from UNIMARC $d.
    for previous, current in zip(result, result[1:], strict=False):
        if current[0] == "d" and current[1] == "b" and not previous[2].endswith("="):
            previous[2] = previous[2].rstrip(" :;/,") + " ="
    # The GMD ($h) sits right after $a in MARC 21.
    gmd = [t for t in result if t[1] == "h"]
    if gmd:
        result = [t for t in result if t[1] != "h"]
        at = next((i + 1 for i, t in enumerate(result) if t[1] == "a"), 0)
        result[at:at] = gmd
    inds = list(_indicators(out))
    inds[0] = "1" if conv.has_main_entry and _indicators(src)[0] != "0" else "0"
    out.indicators = Indicators(*inds)
    return result


def _relator_to_unimarc(conv: _Conversion, tag: str, value: str, *, is_term: bool) -> str | None:
    to_uni, _, terms = _relators()
    v = value.strip(" \u200e\u200f").rstrip(".,;: \u200e\u200f").lower()
    if v.startswith("http") and "/relators/" in v:
        v = v.rsplit("/", 1)[-1]
    if is_term:
        marc = terms.get(v)
        if marc is None:
            conv.lose(f"{tag} $e {value.strip()!r}: relator term not in the crosswalk's relator list")
            return None
        v = marc
    uni = to_uni.get(v)
    if uni is None:
        conv.lose(f"{tag} $4 {value.strip()!r}: no UNIMARC relator code")
    return uni


def _relators_in(conv: _Conversion, row: _Row, triples: list[_Triple]) -> list[_Triple]:
    out: list[_Triple] = []
    seen: set[str] = set()
    tag = row.marc if conv.to_unimarc else row.unimarc
    for t in triples:
        if t[1] == "4" and conv.to_unimarc:
            # A term in $e and a code in $4 usually say the same thing: keep each UNIMARC code once.
            uni = _relator_to_unimarc(conv, tag, t[2], is_term=t[0] != "4")
            if uni is None or uni in seen:
                continue
            seen.add(uni)
            t[2] = uni
        elif t[1] == "4":
            marc = _relators()[1].get(t[2].strip())
            if marc is None:
                conv.lose(f"{tag} $4 {t[2].strip()!r}: no MARC 21 relator code")
                continue
            t[2] = marc
        out.append(t)
    return out


def _rule_personal(conv: _Conversion, row: _Row, src: Field, out: Field, triples: list[_Triple]):
    triples = _relators_in(conv, row, triples)
    if conv.to_unimarc:
        surname_form = _indicators(src)[0] == "1"  # MARC ind1 1: "Surname, Forename"
        result: list[_Triple] = []
        for t in triples:
            value = t[2]
            if t[1] == "a" and surname_form and not any(x[1] == "b" for x in triples):
                name = strip_isbd(value)
                surname, sep, forename = name.partition(", ")
                if not sep:  # Arabic-script names use the Arabic comma
                    surname, sep, forename = name.partition("\u060c ")
                if sep and forename:
                    result.append([t[0], "a", surname])
                    result.append([t[0], "b", forename])
                    continue
            if t[1] in ("f", "g"):
                value = strip_isbd(value).strip("()")
            result.append([t[0], t[1], value])
        return result
    result = []
    for t in triples:
        code, target, value = t
        name = next((t for t in result if t[1] == "a"), None)
        if code == "b" and name is not None:
            comma = "\u060c" if _ARABIC_LETTER.search(value) else ","
            name[2] = f"{name[2].rstrip(', ')}{comma} {value.strip()}"
            continue
        if code == "f":
            value = value.strip().strip("()")
        if code == "g":
            value = f"({value.strip().strip('()')})"
        result.append([code, target, value])
    return result


def _rule_corporate(conv: _Conversion, row: _Row, src: Field, out: Field, triples: list[_Triple]):
    triples = _relators_in(conv, row, triples)
    if conv.to_unimarc:
        for t in triples:
            if t[1] in ("e", "f", "d"):
                t[2] = strip_isbd(t[2]).strip("()")
        return triples
    for t in triples:
        if t[0] in ("d", "e", "f") and out.tag in ("111", "711", "611", "110", "710", "610"):
            t[2] = t[2].strip().strip("()")
    # A meeting's number, date and place are one parenthesised qualifier in MARC 21.
    quals = [t for t in triples if t[0] in ("d", "f", "e")]
    if quals:
        quals[0][2] = "(" + quals[0][2]
        quals[-1][2] = quals[-1][2] + ")"
        for q in quals[:-1]:
            q[2] = q[2] + " :"
    return triples


def _rule_responsibility(conv: _Conversion, row: _Row, src: Field, out: Field, triples: list[_Triple]):
    if not conv.to_unimarc:
        return triples
    relators = [t[2] for t in triples if t[1] == "4"]
    primary = set(_codes()["primary_relators"])
    if relators and not any(r in primary for r in relators):
        out.tag = {"701": "702", "711": "712", "721": "722"}.get(out.tag, out.tag)
    return triples


def _rule_subject(conv: _Conversion, row: _Row, src: Field, out: Field, triples: list[_Triple]):
    thesaurus_field = 1  # MARC 6XX second indicator
    if conv.to_unimarc:
        ind = _indicators(src)[thesaurus_field]
        if ind != "7":
            triples = [t for t in triples if t[1] != "2"]
            code = _code_map("thesaurus", False).get(ind)
            if code:
                triples.append(["", "2", code])
        for t in triples:
            t[2] = strip_isbd(t[2])
        return triples
    sources = [t for t in triples if t[1] == "2"]
    inds = list(_indicators(out))
    if sources:
        marc = _code_map("thesaurus", True).get(sources[0][2].strip().lower())
        if marc is not None:
            inds[thesaurus_field] = marc
            triples = [t for t in triples if t is not sources[0]]
        else:
            inds[thesaurus_field] = "7"  # the source stays in $2, where it was
    else:
        inds[thesaurus_field] = "4"
    out.indicators = Indicators(*inds)
    return triples


# Embedded fields of the UNIMARC 4XX $1 technique -> the standard 4XX subfields.
_EMBEDDED = {
    ("001", ""): "0", ("200", "a"): "t", ("200", "h"): "h", ("200", "i"): "i", ("200", "v"): "v",
    ("200", "e"): "t", ("225", "a"): "t", ("225", "v"): "v", ("500", "a"): "t", ("530", "a"): "t",
    ("700", "a"): "a", ("701", "a"): "a", ("710", "a"): "a", ("711", "a"): "a", ("712", "a"): "a",
    ("210", "a"): "c", ("210", "c"): "n", ("210", "d"): "d", ("205", "a"): "e", ("010", "a"): "y",
    ("011", "a"): "x", ("215", "a"): "p",
}


def _flatten_embedded(conv: _Conversion, tag: str, src: Field) -> Field:
    """UNIMARC 4XX with embedded fields ($1 + tag + data) -> the standard-subfield form of the same link."""
    if not any(sf.code == "1" for sf in src.subfields):
        return src
    subfields: list[Subfield] = []
    embedded = ""
    for sf in src.subfields:
        if sf.code == "1":
            embedded = sf.value[:3]
            if embedded < "010":
                code = _EMBEDDED.get((embedded, ""))
                if code:
                    subfields.append(Subfield(code, sf.value[3:]))
                else:
                    conv.no_equivalent(f"{tag} $1 {embedded}")
            continue
        code = _EMBEDDED.get((embedded, sf.code)) if embedded else sf.code
        if embedded in ("700", "701", "702") and sf.code == "b" and subfields and subfields[-1].code == "a":
            subfields[-1] = Subfield("a", f"{subfields[-1].value}, {sf.value}")
            continue
        if code is None:
            conv.no_equivalent(f"{tag} $1 {embedded} ${sf.code}")
            continue
        if code == "t" and any(s.code == "t" for s in subfields) and embedded == "200" and sf.code == "e":
            subfields[-1] = Subfield("t", f"{subfields[-1].value} : {sf.value}")
            continue
        subfields.append(Subfield(code, sf.value))
    return Field(tag=src.tag, indicators=src.indicators, subfields=subfields)


def _rule_link(conv: _Conversion, row: _Row, src: Field, out: Field, triples: list[_Triple]):
    if conv.to_unimarc:
        return triples
    # UNIMARC keeps place ($c), publisher ($n) and date ($d) apart; MARC 21 has one $d.
    imprint = [t for t in triples if t[1] == "d"]
    if len(imprint) > 1:
        seps = {"c": "", "n": " : ", "d": ", "}
        text = ""
        for t in imprint:
            text += (seps[t[0]] if text else "") + t[2].strip()
        imprint[0][2] = text
        triples = [t for t in triples if t[1] != "d" or t is imprint[0]]
    return triples


def _rule_isbn(conv: _Conversion, row: _Row, src: Field, out: Field, triples: list[_Triple]):
    if not conv.to_unimarc:
        return triples
    result: list[_Triple] = []
    has_q = any(t[0] == "q" for t in triples)
    for t in triples:
        m = re.match(r"^\s*([0-9Xx-]+)\s*(?:\((.*?)\)?)?\s*[:;.]?\s*$", t[2]) if t[0] in ("a", "z") else None
        if m and m.group(2) and not has_q:
            result.append([t[0], t[1], m.group(1)])
            result.append(["q", "b", m.group(2).strip()])
        else:
            result.append(t)
    return result


# UNIMARC authority name/title (240/440/540): embedded 200 (name) + 230 (title); the title's subfields
# as the 230 names them <-> the MARC $t part.
_TITLE_PART_TO_STANDARD = {"a": "t", "h": "h", "i": "i", "m": "m", "k": "k", "l": "l", "q": "q", "w": "w",
                           "r": "r", "u": "u", "j": "j", "x": "x", "y": "y", "z": "z", "2": "2", "3": "3"}
_EMBEDDED_NAMES = frozenset({"200", "700", "701", "702"})
_EMBEDDED_TITLES = frozenset({"230", "500"})


def _accept_nametitle(conv: _Conversion, row: _Row, src: Field) -> bool:
    return any(sf.code == "t" for sf in src.subfields) if conv.to_unimarc else True


def _rule_nametitle(conv: _Conversion, row: _Row, src: Field, out: Field, triples: list[_Triple]):
    if not conv.to_unimarc:
        return triples
    at = next((i for i, t in enumerate(triples) if t[0] == "t"), len(triples))
    name_form = _code_map("name_form", False).get(_indicators(src)[0], " ")
    name_tag, title_tag = ("200", "230  ") if conv.authority else ("700", "50010")
    name = [t for t in triples[:at] if t[1] not in "jxyz23"]
    title = [[c, "a" if c == "t" else target, v] for c, target, v in triples[at:] if target not in "jxyz23"]
    trailing = [t for t in triples if t[1] in "jxyz23"]  # subdivisions and sources close the field
    return [["", "1", f"{name_tag} {name_form}"], *name, ["", "1", title_tag], *title, *trailing]


def _flatten_name_title(conv: _Conversion, src: Field) -> Field:
    """UNIMARC name/title fields (authority 240/440/540: $1200 name + $1230 title; bibliographic 604:
    $1700 name + $1500 title) -> one field in standard subfields, the name form as ind2."""
    subfields: list[Subfield] = []
    embedded = ""
    name_form = " "
    for sf in src.subfields:
        if sf.code == "1":
            embedded = sf.value[:3]
            if embedded in _EMBEDDED_NAMES:
                name_form = (sf.value + "     ")[4]
            elif embedded not in _EMBEDDED_TITLES:
                conv.no_equivalent(f"{src.tag} $1 {embedded}")
            continue
        if embedded in _EMBEDDED_TITLES:
            code = _TITLE_PART_TO_STANDARD.get(sf.code)
            if code is None:
                conv.no_equivalent(f"{src.tag} $1 {embedded} ${sf.code}")
                continue
            subfields.append(Subfield(code, sf.value))
        elif embedded in _EMBEDDED_NAMES or not embedded:
            subfields.append(sf)
    return Field(tag=src.tag, indicators=Indicators(" ", name_form), subfields=subfields)


def _accept_lccn(conv: _Conversion, row: _Row, src: Field) -> bool:
    return conv.to_unimarc or _sub(src, "a").strip().upper() in ("US", "")


def _rule_lccn(conv: _Conversion, row: _Row, src: Field, out: Field, triples: list[_Triple]):
    if conv.to_unimarc:
        return [["", "a", "US"], *[[c, t, v.strip()] for c, t, v in triples]]
    return [t for t in triples if t[1] != "2"]


def _rule_natbib(conv: _Conversion, row: _Row, src: Field, out: Field, triples: list[_Triple]):
    # MARC 015 $2 names the bibliography ("bnb"); UNIMARC 020 $a names its country ("GB").
    natbib = _codes()["national_bibliography"]
    result: list[_Triple] = []
    for t in triples:
        if t[1] == ("a" if conv.to_unimarc else "2"):
            value = t[2].strip()
            if conv.to_unimarc:
                mapped = natbib.get(value.lower())
            else:
                mapped = next((k for k, v in natbib.items() if v == value.upper()), None)
            if mapped is None:
                conv.lose(f"{'015 $2' if conv.to_unimarc else '020 $a'} {value!r}: national bibliography "
                          "not in the crosswalk's list")
                continue
            t = [t[0], t[1], mapped]
        result.append(t)
    if conv.to_unimarc:  # UNIMARC puts the country first
        result.sort(key=lambda t: t[1] != "a")
    return result


def _rule_languages(conv: _Conversion, row: _Row, src: Field, out: Field, triples: list[_Triple]):
    result: list[_Triple] = []
    for t in triples:
        value = t[2].strip().lower()
        if conv.to_unimarc and len(value) > 3 and len(value) % 3 == 0 and value.isalpha():
            result += [[t[0], t[1], value[i:i + 3]] for i in range(0, len(value), 3)]
        else:
            result.append([t[0], t[1], value])
    if conv.to_unimarc and _indicators(src)[1] == "7":
        conv.lose(f"041 ind2 '7' (source {_sub(src, '2')!r}): UNIMARC 101 takes ISO 639-2 codes only")
    return result


def _rule_country(conv: _Conversion, row: _Row, src: Field, out: Field, triples: list[_Triple]):
    result: list[_Triple] = []
    for t in triples:
        if conv.to_unimarc and t[0] == "a":
            iso = _country_to_iso(conv, t[2], what="044 $a")
            if iso:
                result.append([t[0], "a", iso])
        elif conv.to_unimarc:
            result.append([t[0], "a", t[2].strip().upper()[:2]])
    return result


def _country_to_iso(conv: _Conversion, code: str, *, what: str) -> str | None:
    code = code.strip().lower()
    if not code or code in ("xx", "vp", "|||", "xx|"):
        return None
    table = _codes()["country"]
    iso = table.get(code)
    if iso is None and len(code) == 3:
        # US states, Canadian provinces, UK countries and Australian states end in u, c, k, a.
        iso = {"u": "US", "c": "CA", "k": "GB", "a": "AU"}.get(code[2])
    if iso is None:
        conv.lose(f"{what} {code!r}: MARC country code not in the crosswalk's country list")
    return iso or None


def _country_to_marc(conv: _Conversion, iso: str, *, what: str) -> str | None:
    iso = iso.strip().upper()
    if iso in _codes()["country_unknown"]:
        return None
    preferred = _codes()["country_reverse"]
    if iso in preferred:
        return preferred[iso]
    for marc, value in _codes()["country"].items():
        if value == iso:
            return marc
    if iso:
        conv.lose(f"{what} {iso!r}: ISO country code not in the crosswalk's country list")
    return None


_RULES: dict[str, Callable] = {
    "isbd": _rule_isbd, "nonfiling": _rule_nonfiling, "title": _rule_title, "personal": _rule_personal,
    "corporate": _rule_corporate, "responsibility": _rule_responsibility, "subject": _rule_subject,
    "link": _rule_link, "isbn": _rule_isbn, "lccn": _rule_lccn, "natbib": _rule_natbib,
    "languages": _rule_languages, "country": _rule_country, "nametitle": _rule_nametitle,
}
_ACCEPTS: dict[str, Callable[[_Conversion, _Row, Field], bool]] = {"lccn": _accept_lccn,
                                                                    "nametitle": _accept_nametitle}
_RULE_NAMES = frozenset(_RULES)


# --------------------------------------------------------------------------------------------------
# Alternate scripts: MARC 21 880 + $6 <-> UNIMARC repeated field + $6 "aNN" + $7 script


def _script_of_text(text: str) -> str:
    """UNIMARC script code (100$a/34-35, $7) of the first non-Latin script in ``text``; 'ba' for Latin."""
    found = scripts_of([text])
    table = _codes()["script_unimarc"]
    for script in found:
        if script != "Latn" and script in table:
            return table[script]
    return "ba" if "Latn" in found or not found else "zz"


def _field_text(f: Field) -> str:
    return " ".join(sf.value for sf in f.subfields if sf.code.isalpha() and sf.value)


def _parse_880_link(value: str) -> tuple[str, str, str, bool]:
    """MARC $6 "245-01/(3/r" -> ("245", "01", "(3", right_to_left)."""
    link, _, rest = value.partition("/")
    tag, _, occurrence = link.partition("-")
    script, _, orientation = rest.partition("/")
    return tag.strip(), occurrence.strip()[:2], script.strip(), orientation.strip() == "r"


def _marc_script_to_unimarc(code: str, text: str) -> str:
    return _codes()["script_880"].get(code) or _script_of_text(text)


def _with_link(out: Field, number: str | None, script: str) -> Field:
    head = ([Subfield("6", f"a{number}")] if number else []) + [Subfield("7", script)]
    out.subfields = head + [sf for sf in out.subfields if sf.code not in ("6", "7")]
    return out


# --------------------------------------------------------------------------------------------------
# MARC 21 -> UNIMARC


def _today() -> str:
    return datetime.date.today().strftime("%Y%m%d")


def _entered_date(f008: str, f005: str) -> str:
    yymmdd = f008[:6]
    if len(yymmdd) == 6 and yymmdd.isdigit():
        yy = int(yymmdd[:2])
        century = "20" if yy <= datetime.date.today().year % 100 else "19"
        return century + yymmdd
    if len(f005) >= 8 and f005[:8].isdigit():
        return f005[:8]
    return _today()


def _leader_to_unimarc(conv: _Conversion, leader: str) -> str:
    status = conv.code("record_status", leader[5], what="leader/05 record status") or "n"
    if conv.authority:
        kind = conv.code("authority_kind", (_control(conv.source, "008") + " " * 40)[9],
                         what="008/09 kind of record") or "x"
        heading = next((f.tag for f in conv.source.fields if f.tag[0] == "1" and f.tag in
                        _codes()["authority_entity"]), "")
        entity = _codes()["authority_entity"].get(heading, " ")
        level = " " if leader[17] in " n" else "3"
        return f"00000{status}{kind}  {entity}2200000{level}  450 "
    rtype = conv.code("record_type", leader[6], what="leader/06 type of record") or "a"
    level = conv.code("bibliographic_level", leader[7], what="leader/07 bibliographic level") or "m"
    hierarchy = {"a": "1", "b": "2", "c": "2"}.get(leader[19], " ")
    if leader[8] == "a":
        conv.lose("leader/08 'a' (archival control): no UNIMARC equivalent")
    encoding = conv.code("encoding_level", leader[17], what="leader/17 encoding level") or " "
    form = conv.code("descriptive_form", leader[18], what="leader/18 descriptive cataloguing form") or " "
    return f"00000{status}{rtype}{level}{hierarchy} 2200000{encoding}{form} 450 "


def _control(record: pymarc.Record, tag: str) -> str:
    f = record.get(tag)
    return (f.data or "") if f is not None and f.is_control_field() else ""


def _is_book(leader: str) -> bool:
    return leader[6] in "at" and leader[7] not in "bis"


def _is_serial(leader: str) -> bool:
    return leader[6] in "at" and leader[7] in "bis"


def _fixed_to_unimarc(conv: _Conversion, leader: str) -> list[Field]:
    """MARC 008 (+040 $b, 880 presence) -> UNIMARC 100, and 101/102/105/106/110 where 041/044 are absent."""
    record = conv.source
    f008 = _control(record, "008")
    f005 = _control(record, "005")
    f040 = record.get("040")
    language_of_cataloguing = (_sub(f040, "b") if f040 is not None else "") or "eng"
    title = record.get("245")
    vernacular = next((f for f in record.get_fields("880") if _sub(f, "6").startswith("245")), None)
    script = _script_of_text(_field_text(vernacular or title)) if (vernacular or title) is not None else "ba"
    transliteration = "b" if record.get_fields("880") else "y"
    entered = _entered_date(f008, f005)
    if not f008:
        conv.lose("008 missing: UNIMARC 100 built from defaults")
    if conv.authority:
        f008 = f008.ljust(40)
        status = {"a": "a", "c": "b", "b": "b", "d": "b", "n": "x"}.get(f008[33], "a")
        data = f"{entered}{status}{language_of_cataloguing[:3]:3}y50      {script}{'1' if script in ('fa', 'ha') else '0'}"
        return [Field(tag="100", indicators=Indicators(" ", " "), subfields=[Subfield("a", data)])]
    f008 = f008.ljust(40)
    date_type = conv.code("date_type", f008[6], what="008/06 type of date") or "u"
    date1, date2 = (d.replace("u", " ") for d in (f008[7:11], f008[11:15]))
    serial, book = _is_serial(leader), _is_book(leader)
    audience = " "
    if not serial and leader[6] not in "efp":
        audience = conv.code("target_audience", f008[22], what="008/22 target audience") or " "
    government = " "
    if leader[6] not in "cdijp" and f008[28] != "|":
        government = conv.code("government_publication", f008[28], what="008/28 government publication") or " "
    modified = conv.code("modified_record", f008[38], what="008/38 modified record") or "0"
    if f008[39] not in "d|":
        conv.lose(f"008/39 cataloging source {f008[39]!r}: no UNIMARC equivalent")
    data = (f"{entered}{date_type}{date1}{date2}{audience}  {government}{modified}"
            f"{language_of_cataloguing[:3]:3}{transliteration}50      {script}")
    fields = [Field(tag="100", indicators=Indicators(" ", " "), subfields=[Subfield("a", data)])]
    language = f008[35:38].strip().lower()
    if record.get("041") is None:
        if not (language.isascii() and language.isalpha() and len(language) == 3):
            language = "und"  # UNIMARC requires 101; the language is undetermined
        fields.append(Field(tag="101", indicators=Indicators("0", " "), subfields=[Subfield("a", language)]))
    if record.get("044") is None:
        iso = _country_to_iso(conv, f008[15:18], what="008/15-17")
        if iso:
            fields.append(Field(tag="102", indicators=Indicators(" ", " "), subfields=[Subfield("a", iso)]))
    if book:
        fields += _book_codes_to_unimarc(conv, f008)
    elif serial:
        kind = conv.code("continuing_resource_type", f008[21], what="008/21 type of continuing resource") or "z"
        frequency = conv.code("frequency", f008[18], what="008/18 frequency") or "u"
        regularity = conv.code("regularity", f008[19], what="008/19 regularity") or "u"
        fields.append(Field(tag="110", indicators=Indicators(" ", " "),
                            subfields=[Subfield("a", f"{kind}{frequency}{regularity}{'|' * 8}")]))
        form = _code_map("form_of_item", False).get(f008[23])
        if form:
            fields.append(Field(tag="106", indicators=Indicators(" ", " "), subfields=[Subfield("a", form)]))
    return fields


def _book_codes_to_unimarc(conv: _Conversion, f008: str) -> list[Field]:
    illus = "".join(_code_map("illustrations", False).get(c, "") for c in f008[18:22] if c.strip() and c != "|")
    contents = "".join(_code_map("nature_of_contents", False).get(c, "") for c in f008[24:28] if c.strip() and c != "|")
    for c in f008[24:28]:
        if c.strip() and c != "|" and c not in _code_map("nature_of_contents", False):
            conv.lose(f"008/24-27 nature of contents {c!r}: no UNIMARC equivalent")
    binary = [c if c in "01" else "0" for c in f008[29:32]]
    literary = _code_map("literary_form", False).get(f008[33], "y")
    biography = _code_map("biography", False).get(f008[34], "y")
    data = f"{(illus or 'y')[:4]:4}{contents[:4]:4}{''.join(binary)}{literary}{biography}"
    fields = [Field(tag="105", indicators=Indicators(" ", " "), subfields=[Subfield("a", data)])]
    form = _code_map("form_of_item", False).get(f008[23])
    if form:
        fields.append(Field(tag="106", indicators=Indicators(" ", " "), subfields=[Subfield("a", form)]))
    return fields


def _agency_country(code: str) -> str | None:
    """ISO 3166 country of a MARC organization code or ISIL, where the code says it (801 $a needs one).

    Codes of US institutions are upper-case letters (DLC, NNU); others start with their MARC country
    code capitalised (UaCaAUL: Egypt, LeBAU: Lebanon); an ISIL starts with the ISO code (DE-101).
    """
    code = code.strip()
    codes = _codes()
    if re.fullmatch(r"[A-Z]{2}-.+", code):
        return code[:2]
    if code[:2] in codes["organization_prefix"]:
        return codes["organization_prefix"][code[:2]]
    if re.fullmatch(r"[A-Z]{2,}(-[A-Za-z]+)?", code) or code in codes["organization_us"]:
        return "US"
    states = codes["organization_us_states"]
    if re.fullmatch(r"[A-Z][a-z][A-Za-z-]+", code) and code[:2] in states or \
            re.fullmatch(r"[A-Z][A-Z][A-Za-z-]*", code) and code[:1] in states:
        return "US"
    return None


def _agency_country_or_unknown(conv: _Conversion, code: str) -> str:
    """801 $a is required: an agency whose code does not tell its country gets XX (unknown)."""
    country = _agency_country(code)
    if country is None:
        conv.lose(f"801 $a: the country of agency {code.strip()!r} is not known from its code, written 'XX'")
    return country or "XX"


def _cataloguing_source_to_unimarc(conv: _Conversion, f040: Field, entered: str, f005: str) -> list[Field]:
    fields: list[Field] = []
    rules = _sub(f040, "e")
    for sf in f040.subfields:
        function = _codes()["agency_function"].get(sf.code)
        if function is None:
            if sf.code not in ("b", "e"):
                conv.no_equivalent(f"040 ${sf.code}")
            continue
        subs = [Subfield("a", _agency_country_or_unknown(conv, sf.value)), Subfield("b", sf.value.strip())]
        date = entered if function == "0" else f005[:8]
        if date.strip():
            subs.append(Subfield("c", date))
        if function == "0" and rules:
            subs.append(Subfield("g", rules))
        fields.append(Field(tag="801", indicators=Indicators(" ", function), subfields=subs))
    return fields


def marc21_to_unimarc(record: pymarc.Record) -> CrosswalkResult:
    """Convert a MARC 21 bibliographic or authority record to UNIMARC (UTF-8: 100$a/26-29 '50  ')."""
    leader = str(record.leader or "").ljust(24)
    if leader[6] == "z":
        authority = True
    elif leader[6] in "acdefgijkmoprt":
        authority = False
    else:
        raise CrosswalkError(f"leader/06 {leader[6]!r}: not a bibliographic or authority record, nothing to "
                             "crosswalk", field="LDR")
    conv = _Conversion(record, to_unimarc=True, authority=authority)
    conv.has_main_entry = any(f.tag in ("100", "110", "111", "130") for f in record.fields)
    if not authority and not any(_sub(f, "a").strip() for f in record.get_fields("245")) and not any(
            _sub(f, "6").startswith("245") and _sub(f, "a").strip() for f in record.get_fields("880")):
        raise CrosswalkError("no title (245 $a): a UNIMARC record needs 200 $a", field="245")
    if authority and not any(f.tag[0] == "1" and not f.is_control_field() for f in record.fields):
        raise CrosswalkError("no heading (1XX): a UNIMARC authority needs a 2XX heading", field="1XX")

    out_leader = _leader_to_unimarc(conv, leader)
    fields: list[Field] = []
    f005 = _control(record, "005")
    linked_880: dict[str, Field] = {}
    for f in record.get_fields("880"):
        tag, occurrence, _, _ = _parse_880_link(_sub(f, "6"))
        if occurrence and occurrence != "00":
            linked_880.setdefault(occurrence, f)
    repaired = _pair_unlinked_880(record, linked_880)
    # UNIMARC repeats a field in another script under the same tag; rules that pick the tag from the
    # content (701 or 702 by relator) could split a pair, since an 880 rarely repeats the relator.
    romanised_tags: dict[str, str] = {}
    vernacular: list[tuple[Field, str]] = []
    for f in record.fields:
        tag = f.tag
        if f.is_control_field():
            if tag in ("001", "005"):
                fields.append(Field(tag=tag, data=f.data))
            elif tag == "003" and record.get("040") is not None:
                conv.lose("003 (agency of the control number): no UNIMARC field (the agency is in 801)")
            elif tag != "008":
                conv.no_equivalent(tag)
            continue
        if tag == "066":
            continue  # MARC-8 character sets present: meaningless once the record is UTF-8
        if tag == "040":
            fields += _cataloguing_source_to_unimarc(conv, f, _entered_date(_control(record, "008"), f005), f005)
            continue
        if tag == "024" and _indicators(f)[0] == "7" and _sub(f, "2").lower() == "uri" and \
                not any(x.tag == "003" for x in fields):
            fields.append(Field(tag="003", data=_sub(f, "a")))
            continue
        if tag == "880":
            linked_tag, occurrence, script, _ = _parse_880_link(_sub(f, "6"))
            if not re.fullmatch(r"\d{3}", linked_tag):
                conv.lose(f"880 $6 {_sub(f, '6')!r}: no linked tag")
                continue
            out = _convert_field(conv, linked_tag, f)
            if out is not None:
                number = occurrence if occurrence and occurrence != "00" else repaired.get(id(f))
                fields.append(_with_link(out, number, _marc_script_to_unimarc(script, _field_text(f))))
                if number:
                    vernacular.append((out, number))
            continue
        out = _convert_field(conv, tag, f)
        if out is None:
            continue
        link = _sub(f, "6")
        if link.startswith("880"):
            occurrence = link[4:6]
            if occurrence in linked_880:
                out = _with_link(out, occurrence, _script_of_text(_field_text(f)))
                romanised_tags[occurrence] = out.tag
        elif id(f) in repaired:
            out = _with_link(out, repaired[id(f)], _script_of_text(_field_text(f)))
            romanised_tags[repaired[id(f)]] = out.tag
        fields.append(out)
    for out, number in vernacular:
        partner = romanised_tags.get(number, out.tag)
        if partner[:2] == out.tag[:2]:  # same kind of field (701/702, 711/712); a mislinked 880 keeps its own
            out.tag = partner
    if record.get("040") is None:
        agency = _control(record, "003").strip()
        if agency:  # the agency of the control number is the best guess at the cataloguing agency
            fields.append(Field(tag="801", indicators=Indicators(" ", "0"), subfields=[
                Subfield("a", _agency_country_or_unknown(conv, agency)), Subfield("b", agency)]))
        else:
            conv.lose("040 missing: no UNIMARC 801 (cataloguing source)")
    fields += _fixed_to_unimarc(conv, leader)
    _main_language_first(record, fields)
    _repeats_to_unimarc(conv, fields)
    if authority and not any(f.tag[0] == "2" for f in fields):
        heading = next(f.tag for f in record.fields if f.tag[0] == "1" and not f.is_control_field())
        raise CrosswalkError(f"heading {heading} has no UNIMARC equivalent: the authority would have no 2XX",
                             field=heading)
    return _finish(out_leader, fields, conv)


def _main_language_first(record: pymarc.Record, fields: list[Field]) -> None:
    """008/35-37 is the main language; when 041 $a does not list it, UNIMARC 101 $a still must."""
    language = _control(record, "008").ljust(40)[35:38].strip().lower()
    f101 = next((f for f in fields if f.tag == "101" and "7" not in _script_codes_present(f)), None)
    if f101 is None or not (language.isascii() and language.isalpha() and len(language) == 3):
        return
    if language not in _subs(f101, "a"):
        at = next((i for i, sf in enumerate(f101.subfields) if sf.code not in "67"), len(f101.subfields))
        f101.subfields.insert(at, Subfield("a", language))


# Where MARC 21 repeats a subfield UNIMARC does not: coded fields split into one field per code,
# authority numbers and other identifiers beyond the first are lost, text is joined.
_SPLIT_UNIMARC = frozenset({"660", "675", "676", "686"})


def _repeats_to_unimarc(conv: _Conversion, fields: list[Field]) -> None:
    profile = load_profile("unimarc", "authority" if conv.authority else "bibliographic")
    extra: list[Field] = []
    for f in fields:
        rule = profile.fields.get(f.tag)
        if rule is None or f.is_control_field() or not rule.non_repeatable:
            continue
        merged: list[Subfield] = []
        first: dict[str, int] = {}
        for sf in f.subfields:
            if sf.code in rule.non_repeatable and sf.code in first:
                if f.tag in _SPLIT_UNIMARC:
                    extra.append(Field(tag=f.tag, indicators=f.indicators, subfields=[sf]))
                elif sf.code.isdigit() or sf.code in "xy" and f.tag[0] in "0":
                    conv.lose(f"{f.tag} ${sf.code} {sf.value!r}: UNIMARC does not repeat ${sf.code}")
                else:
                    at = first[sf.code]
                    merged[at] = Subfield(sf.code, f"{merged[at].value} ; {sf.value}")
                continue
            first.setdefault(sf.code, len(merged))
            merged.append(sf)
        f.subfields = merged
    fields += extra


def _pair_unlinked_880(record: pymarc.Record, linked: dict[str, Field]) -> dict[int, str]:
    """Vendors leave 880s unlinked ("100-00") beside the one romanised field they shadow; for a field
    MARC 21 does not repeat (1XX, 245, 250, 260...) the pair is certain, so give both a new link number.
    Returns id(field) -> linking number for both members of each pair."""
    profile = load_profile("marc21", "bibliographic")
    used = {int(n) for n in linked if n.isdigit()}
    pairs: dict[int, str] = {}
    for f in record.get_fields("880"):
        tag, occurrence, _, _ = _parse_880_link(_sub(f, "6"))
        rule = profile.fields.get(tag)
        if occurrence != "00" or rule is None or rule.repeatable:
            continue
        partners = [p for p in record.get_fields(tag) if not _sub(p, "6")]
        if len(partners) != 1 or id(partners[0]) in pairs:
            continue
        number = next(n for n in range(1, 100) if n not in used)
        used.add(number)
        pairs[id(f)] = pairs[id(partners[0])] = f"{number:02d}"
    return pairs


def _finish(leader: str, fields: list[Field], conv: _Conversion) -> CrosswalkResult:
    fields.sort(key=lambda f: f.tag)
    out = pymarc.Record(leader=leader, to_unicode=True, force_utf8=True)
    out.leader = pymarc.Leader(leader)
    for f in fields:
        out.add_field(f)
    return CrosswalkResult(record=out, losses=conv.losses)


# --------------------------------------------------------------------------------------------------
# UNIMARC -> MARC 21


def _leader_to_marc(conv: _Conversion, leader: str) -> str:
    status = conv.code("record_status", leader[5], what="leader/05 record status") or "n"
    if conv.authority:
        level = "n" if leader[17] == " " else "o"
        return f"00000{status}z  a2200000{level}  4500"
    rtype = conv.code("record_type", leader[6], what="leader/06 type of record") or "a"
    level = conv.code("bibliographic_level", leader[7], what="leader/07 bibliographic level") or "m"
    encoding = conv.code("encoding_level", leader[17], what="leader/17 encoding level") or " "
    form = "i" if leader[18] in " i" else " "  # ISBD punctuation is supplied on conversion
    multipart = {"1": "a", "2": "c"}.get(leader[8], " ")
    return f"00000{status}{rtype}{level} a2200000{encoding}{form}{multipart}4500"


def _fixed_to_marc(conv: _Conversion, leader: str, marc_leader: str) -> list[Field]:
    record = conv.source
    f100 = record.get("100")
    data = _sub(f100, "a") if f100 is not None and not f100.is_control_field() else ""
    if not data:
        conv.lose("100 missing: MARC 21 008 built from defaults")
    data = data.ljust(36)
    entered = data[2:8] if data[:8].isdigit() else _today()[2:]
    fields: list[Field] = []
    f040 = _cataloguing_source_to_marc(conv, data[22:25] if not conv.authority else data[9:12])
    if conv.authority:
        kind = conv.code("authority_kind", leader[6], what="leader/06 type of record") or "a"
        established = {"a": "a", "b": "c", "x": "n"}.get(data[8], "a")
        # 008 positions UNIMARC has no data for are '|' (no attempt to code); 18-27 and 34-37 are blank.
        f008 = f"{entered}|||{kind}{'|' * 8}{' ' * 10}|| ||{established}{' ' * 4}|d"
        fields.append(Field(tag="008", data=f008.ljust(40)[:40]))
        if f040 is not None:
            fields.append(f040)
        return fields
    date_type = conv.code("date_type", data[8], what="100$a/8 type of publication date") or "|"
    # UNIMARC leaves unknown digits blank ("19  "); MARC 21 writes them 'u' ("19uu").
    date1, date2 = (d.replace(" ", "u") if d.strip() else d for d in (data[9:13], data[13:17]))
    audience = conv.code("target_audience", data[17], what="100$a/17 target audience") or " "
    government = conv.code("government_publication", data[20], what="100$a/20 government publication") or " "
    modified = conv.code("modified_record", data[21], what="100$a/21 modified record") or " "
    f102 = record.get("102")
    place = "xx "
    if f102 is not None:
        countries = _subs(f102, "a")
        marc = _country_to_marc(conv, countries[0], what="102 $a") if countries else None
        place = f"{marc:3}" if marc else "xx "
        for extra in countries[1:]:
            conv.lose(f"102 $a {extra!r} (second country): MARC 21 008 holds one")
    f101 = record.get("101")
    languages = _subs(f101, "a") if f101 is not None else []
    language = (languages[0].strip().lower()[:3] if languages else "|||").ljust(3)
    middle = list("|" * 17)  # 008/18-34: no attempt to code unless the material's layout is known
    if _is_book(marc_leader):
        middle = list(" " * 17)
        f105 = record.get("105")
        if f105 is not None:
            middle = _book_codes_to_marc(conv, _sub(f105, "a").ljust(13), middle)
        f106 = record.get("106")
        middle[5] = (_code_map("form_of_item", True).get(_sub(f106, "a")[:1], " ") if f106 is not None else " ")
        middle[4] = audience
        middle[10] = government
    elif _is_serial(marc_leader):
        middle = list(" " * 17)
        f110 = record.get("110")
        coded = _sub(f110, "a").ljust(3) if f110 is not None else "   "
        middle[3] = _code_map("continuing_resource_type", True).get(coded[0], " ")
        middle[0] = _code_map("frequency", True).get(coded[1], "|")
        middle[1] = _code_map("regularity", True).get(coded[2], "|")
        middle[10] = government
        middle[4] = " "
        f106 = record.get("106")
        middle[5] = (_code_map("form_of_item", True).get(_sub(f106, "a")[:1], " ") if f106 is not None else " ")
    elif marc_leader[6] not in "efp":
        middle[4] = audience
    f008 = f"{entered}{date_type}{date1}{date2}{place}{''.join(middle)}{language}{modified}d"
    fields.append(Field(tag="008", data=f008))
    if f040 is not None:
        fields.append(f040)
    return fields


def _book_codes_to_marc(conv: _Conversion, coded: str, middle: list[str]) -> list[str]:
    illus = [conv.code("illustrations", c, what="105$a/0-3 illustration code") or ""
             for c in coded[0:4] if c not in " #|y"]
    middle[0:4] = list("".join(illus)[:4].ljust(4))
    contents = [conv.code("nature_of_contents", c, what="105$a/4-7 form of contents code") or ""
                for c in coded[4:8] if c not in " #|y"]
    middle[6:10] = list("".join(contents)[:4].ljust(4))
    for i, pos in enumerate((11, 12, 13)):  # conference, festschrift, index
        middle[pos] = coded[8 + i] if coded[8 + i] in "01" else "0"
    middle[15] = _code_map("literary_form", True).get(coded[11], "0")
    middle[16] = _code_map("biography", True).get(coded[12], " ") if coded[12] != "y" else " "
    return middle


def _cataloguing_source_to_marc(conv: _Conversion, language: str) -> Field | None:
    by_function: dict[str, list[str]] = {}
    rules = ""
    for f in conv.source.get_fields("801"):
        agency = _sub(f, "b").strip()
        function = _indicators(f)[1]
        if agency:
            by_function.setdefault(function, []).append(agency)
        if function == "0" and _sub(f, "g"):
            rules = _sub(f, "g")
        if _sub(f, "a") or _sub(f, "c"):
            conv.lose("801 $a/$c (country and date of the agency's work): no MARC 21 equivalent")
    subs: list[Subfield] = []
    if by_function.get("0"):
        subs.append(Subfield("a", by_function["0"][0]))
    language = language.strip()
    if language and language.isalpha():
        subs.append(Subfield("b", language))
    if rules:
        subs.append(Subfield("e", rules))
    if by_function.get("1"):
        subs.append(Subfield("c", by_function["1"][0]))
    for agency in by_function.get("2", []) + by_function.get("3", []):
        subs.append(Subfield("d", agency))
    if not subs:
        return None
    subs.sort(key=lambda s: "abecd".index(s.code))  # the order LC writes them
    return Field(tag="040", indicators=Indicators(" ", " "), subfields=subs)


# Where UNIMARC repeats what MARC 21 does not: later frequencies are former frequencies, repeated
# text subfields are joined (contents with " -- "), repeated identifiers beyond the first are lost.
_EXTRA_FIELD_TAG = {"310": "321"}
_JOIN = {"505": " -- "}
_IDENTIFIER_CODES = frozenset("wxyz0")


def _repeats_to_marc(conv: _Conversion, fields: list[Field]) -> None:
    profile = load_profile("marc21", "authority" if conv.authority else "bibliographic")
    seen: set[str] = set()
    for f in fields:
        rule = profile.fields.get(f.tag)
        if rule is None or f.is_control_field():
            continue
        if not rule.repeatable and f.tag in seen and f.tag in _EXTRA_FIELD_TAG:
            f.tag = _EXTRA_FIELD_TAG[f.tag]
        seen.add(f.tag)
        merged: list[Subfield] = []
        first: dict[str, int] = {}
        for sf in f.subfields:
            if sf.code in rule.non_repeatable and sf.code in first:
                if sf.code in _IDENTIFIER_CODES:
                    conv.lose(f"{f.tag} ${sf.code} {sf.value!r}: MARC 21 does not repeat ${sf.code}")
                    continue
                at = first[sf.code]
                glue = _JOIN.get(f.tag, " ; ")
                merged[at] = Subfield(sf.code, merged[at].value.rstrip(" ;") + glue + sf.value)
                continue
            first.setdefault(sf.code, len(merged))
            merged.append(sf)
        f.subfields = merged


_FIXED_UNIMARC = frozenset({"100", "102", "105", "106", "110", "801"})


def unimarc_to_marc21(record: pymarc.Record) -> CrosswalkResult:
    """Convert a UNIMARC (or RUSMARC) bibliographic or authority record to MARC 21 (leader/09 'a')."""
    leader = str(record.leader or "").ljust(24)
    if leader[6] in "xyz":
        authority = True
    elif leader[6] in "abcdefgijklmr":
        authority = False
    elif leader[6] == " " and record.get("200") is not None:
        authority = False  # some exports leave leader/06 blank on a plain text record
    else:
        raise CrosswalkError(f"leader/06 {leader[6]!r}: not a bibliographic or authority record, nothing to "
                             "crosswalk", field="LDR")
    conv = _Conversion(record, to_unimarc=False, authority=authority)
    if not authority and not any(_sub(f, "a") for f in record.get_fields("200")):
        raise CrosswalkError("no title (200 $a): a MARC 21 record needs 245", field="200")
    if authority and not any(f.tag[0] == "2" and not f.is_control_field() for f in record.fields):
        raise CrosswalkError("no heading (2XX): a MARC 21 authority needs a 1XX heading", field="2XX")
    conv.has_main_entry = any(f.tag in ("700", "710", "720") for f in record.fields) or any(
        f.tag == "500" and _indicators(f)[1] == "1" for f in record.fields)
    marc_leader = _leader_to_marc(conv, leader)
    if leader[6] == " ":
        marc_leader = marc_leader[:6] + "a" + marc_leader[7:]

    # Alternate scripts: group fields by $6 linking number; the Latin one stays regular, the rest are 880.
    groups: dict[str, list[Field]] = {}
    for f in record.fields:
        if not f.is_control_field() and "6" in _script_codes_present(f):
            groups.setdefault(_sub(f, "6")[1:3], []).append(f)
    regular_of: dict[int, str] = {}  # id(field) -> occurrence, for the field that stays regular
    vernacular_of: dict[int, tuple[str, str]] = {}  # id(field) -> (occurrence, UNIMARC script)
    for number, members in groups.items():
        if len(members) < 2:
            continue
        latin = next((m for m in members if _sub(m, "7").startswith("ba")), members[0])
        regular_of[id(latin)] = number
        for m in members:
            if m is not latin:
                vernacular_of[id(m)] = (number, _sub(m, "7")[:2] or _script_of_text(_field_text(m)))
    # A field in another script with no partner ($7 only) is an unlinked 880 ("TAG-00") when the
    # record has romanised fields of that tag; in a record in one script it stays a regular field.
    for f in record.fields:
        if f.is_control_field() or "7" not in _script_codes_present(f) or _sub(f, "7").startswith("ba") or \
                "6" in _script_codes_present(f):
            continue
        romanised = ("7" not in _script_codes_present(g) or _sub(g, "7").startswith("ba")
                     for g in record.get_fields(f.tag) if g is not f)
        if any(romanised):
            vernacular_of[id(f)] = ("00", _sub(f, "7")[:2])

    fields: list[Field] = []
    for f in record.fields:
        tag = f.tag
        if f.is_control_field():
            if tag in ("001", "005"):
                fields.append(Field(tag=tag, data=f.data))
            elif tag == "003":
                fields.append(Field(tag="024", indicators=Indicators("7", " "),
                                    subfields=[Subfield("a", f.data or ""), Subfield("2", "uri")]))
            else:
                conv.no_equivalent(tag)
            continue
        if tag in _FIXED_UNIMARC:
            continue
        if tag == "101":
            out = _convert_field(conv, tag, f)
            codes_a = _subs(f, "a")
            trivial = len(codes_a) == 1 and all(sf.code == "a" for sf in f.subfields) and \
                _indicators(f)[0] in "0 "
            if out is not None and not trivial:
                fields.append(out)
            continue
        key = id(f)  # before a 4XX is flattened into a new field object
        if ((conv.authority and tag[1:] == "40") or (not conv.authority and tag == "604")) and \
                any(sf.code == "1" for sf in f.subfields):
            f = _flatten_name_title(conv, f)
        elif tag[0] == "4" and any(sf.code == "1" for sf in f.subfields):
            f = _flatten_embedded(conv, tag, f)
        out = _convert_field(conv, tag, f)
        if out is None:
            continue
        if key in vernacular_of:
            number, script = vernacular_of[key]
            marc_script = _codes()["script_880_reverse"].get(script, "")
            rtl = "/r" if script in _codes()["right_to_left_scripts"] else ""
            link = f"{out.tag}-{number}" + (f"/{marc_script}{rtl}" if marc_script else "")
            out.subfields = [Subfield("6", link)] + out.subfields
            out.tag = "880"
        elif key in regular_of:
            out.subfields = [Subfield("6", f"880-{regular_of[key]}")] + out.subfields
        fields.append(out)
    fields += _fixed_to_marc(conv, leader, marc_leader)
    _repeats_to_marc(conv, fields)
    # MARC 21 allows one 1XX: a second UNIMARC primary name becomes an added entry.
    main = [f for f in fields if f.tag in ("100", "110", "111", "130")]
    for extra in main[1:]:
        extra.tag = {"100": "700", "110": "710", "111": "711", "130": "730"}[extra.tag]
    return _finish(marc_leader, fields, conv)


# --------------------------------------------------------------------------------------------------
# Entry points


def crosswalk(record: pymarc.Record, *, source: str, target: str) -> CrosswalkResult:
    """Convert ``record`` from ``source`` to ``target`` ('marc21' or 'unimarc'); same format: a copy."""
    for name, value in (("source", source), ("target", target)):
        if value not in FORMATS:
            raise ValueError(f"{name} {value!r} is not one of {FORMATS}")
    if source == target:
        return CrosswalkResult(record=copy.deepcopy(record), losses=[])
    if source == "marc21":
        return marc21_to_unimarc(record)
    return unimarc_to_marc21(record)


def _comparable(record: pymarc.Record) -> dict[str, list[str]]:
    """Each field as text by tag, ISBD punctuation folded away and 880 script codes dropped.

    A round trip is judged on content: the way back supplies punctuation by rule, may add the
    script code to an 880 $6, and writes fields in tag order.
    """
    leader = str(record.leader).ljust(24)
    out: dict[str, list[str]] = {"LDR": [f"LDR {leader[5:9]}{leader[17]}"]}
    for f in record.fields:
        if f.is_control_field():
            text = f"{f.tag} {f.data}"
        else:
            subs = []
            names = f.tag[1:] in ("00", "10", "11") or (f.tag == "880" and _sub(f, "6")[1:3] in ("00", "10", "11"))
            for sf in f.subfields:
                code, value = sf.code, sf.value or ""
                if code == "6" and "/" in value:
                    value = value.split("/", 1)[0]
                if names and code == "e":  # a relator term and its code say the same thing
                    term = strip_isbd(value).lower()
                    code, value = ("4", _relators()[2][term]) if term in _relators()[2] else (code, value)
                item = Subfield(code, strip_isbd(value).strip("[]() "))
                if item not in subs:
                    subs.append(item)
            text = field_text(Field(tag=f.tag, indicators=f.indicators, subfields=subs))
        out.setdefault(f.tag, []).append(text)
    return out


def round_trip_losses(record: pymarc.Record, *, flavour: str) -> list[str]:
    """Convert ``record`` (in ``flavour``) to the other format and back; list what differs, one line each.

    Lines read "245 changed: <before> -> <after>", "852 lost: <field>" or "041 added: <field>";
    ISBD punctuation, leader/09 and 18, the order of fields and 880 script codes are not counted.
    """
    if flavour not in FORMATS:
        raise ValueError(f"flavour {flavour!r} is not one of {FORMATS}")
    other = "unimarc" if flavour == "marc21" else "marc21"
    there = crosswalk(record, source=flavour, target=other)
    back = crosswalk(there.record, source=other, target=flavour)
    before, after = _comparable(record), _comparable(back.record)
    lines: list[str] = []
    for tag in sorted(before.keys() | after.keys(), key=lambda t: (t != "LDR", t)):
        old, new = list(before.get(tag, [])), list(after.get(tag, []))
        lost = [text for text in old if text not in new or new.remove(text)]
        added = new  # what is left once every unchanged field was taken out
        for a, b in zip(lost, added, strict=False):
            lines.append(f"{tag} changed: {a} -> {b}")
        lines += [f"{tag} lost: {a}" for a in lost[len(added):]]
        lines += [f"{tag} added: {b}" for b in added[len(lost):]]
    return lines

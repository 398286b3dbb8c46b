"""The reader's query language, parsed into a small tree that any engine can translate.

    ottoman empire                 both words (AND is the default)
    "thousand and one nights"      a phrase
    title:shahnameh  author:"ferdowsi, abolqasem"
    isbn:0-306-40615-2             ISBN-10 or -13, with or without hyphens (finds either form)
    year:1399  year:1990-2000  year:1990-  year:-1900
    tehran OR isfahan              either word (OR binds tighter than the implied AND)
    -poetry  NOT poetry            without that word

Words and phrases go through :func:`kitabkhana.scripts.normalise.tokens`, the same function the
index uses, so the tree holds folded tokens only. Nothing here knows about tantivy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum import isbn as stdnum_isbn
from stdnum import issn as stdnum_issn

from kitabkhana.catalogue.search.base import FACETS, FIELDS, QuerySyntaxError
from kitabkhana.scripts.normalise import tokens

__all__ = [
    "TEXT_FIELDS", "KEYWORD_FIELDS", "AllOf", "AnyOf", "Exact", "MatchAll", "Node", "Words", "YearRange",
    "isbn_key", "issn_key", "parse_filters", "parse_query",
]

#: Fields searched word by word (tokens); a word without a field searches all of these and ``text``.
TEXT_FIELDS = ("title", "author", "subject")
#: Fields matched as whole values (codes and numbers).
KEYWORD_FIELDS = ("isbn", "issn", "language", "institution", "material_type")


@dataclass(frozen=True)
class MatchAll:
    pass


@dataclass(frozen=True)
class Words:
    """Folded tokens in ``field`` (None: every text field); more than one token is a phrase."""

    field: str | None
    tokens: tuple[str, ...]


@dataclass(frozen=True)
class Exact:
    """Whole values of a keyword field (or, for ``subject``, whole subject headings); any may match."""

    field: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class YearRange:
    low: int | None
    high: int | None


@dataclass(frozen=True)
class AnyOf:
    options: tuple[Node, ...]


@dataclass(frozen=True)
class AllOf:
    required: tuple[Node, ...]
    excluded: tuple[Node, ...] = ()


Node = MatchAll | Words | Exact | YearRange | AnyOf | AllOf

_FIELD_NAMES = ", ".join(FIELDS)
_FIELD_PREFIX = re.compile(r"([A-Za-z_]+):")
_BARE = re.compile(r'[^\s"]*')
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_YEAR_VALUE = re.compile(r"^\s*(\d{1,4})?\s*(-)?\s*(\d{1,4})?\s*$")
_ISBN_SHAPE = re.compile(r"[0-9][0-9\- ]{8,16}[0-9Xx]")


def isbn_key(value: str) -> str:
    """The form an ISBN is indexed and searched in: ISBN-13 digits, so -10 and -13 find each other.

    Catalogue data carries qualifiers (``"0306406152 (pbk.)"``) and invalid numbers printed on
    books; an invalid one is kept as its bare characters so it can still be found as printed.
    """
    if len(value) == 13 and value.isdigit():
        return value  # valid or not, 13 bare digits are already the indexed form

    found = _ISBN_SHAPE.search(value.translate(_DIGITS))
    number = stdnum_isbn.compact(found.group() if found else value).upper()
    if stdnum_isbn.is_valid(number):
        return stdnum_isbn.to_isbn13(number)
    return number


def issn_key(value: str) -> str:
    return stdnum_issn.compact(value.translate(_DIGITS).strip()).upper()


@dataclass
class _Token:
    text: str
    field: str | None = None
    phrase: bool = False
    negated: bool = False
    position: int = 0

    @property
    def operator(self) -> str | None:
        if self.field is None and not self.phrase and not self.negated and self.text in ("OR", "AND", "NOT"):
            return self.text
        return None


def _lex(q: str) -> list[_Token]:
    out: list[_Token] = []
    i, n = 0, len(q)
    while i < n:
        if q[i].isspace():
            i += 1
            continue
        token = _Token(text="", position=i + 1)
        if q[i] == "-" and i + 1 < n and not q[i + 1].isspace():
            token.negated = True
            i += 1
        prefix = _FIELD_PREFIX.match(q, i)
        if prefix:
            name = prefix.group(1).lower()
            if name not in FIELDS:
                raise QuerySyntaxError(
                    f'unknown field "{prefix.group(1)}:" at position {i + 1}; fields are {_FIELD_NAMES} '
                    f"(put the text in quotes to search for it as written)"
                )
            token.field = name
            i = prefix.end()
        if i < n and q[i] == '"':
            end = q.find('"', i + 1)
            if end < 0:
                raise QuerySyntaxError(f'unbalanced quote: the " at position {i + 1} is never closed')
            token.text, token.phrase = q[i + 1 : end], True
            i = end + 1
        else:
            bare = _BARE.match(q, i)
            assert bare is not None  # the pattern matches the empty string
            token.text = bare.group()
            i = bare.end()
        if token.field and not token.text.strip():
            raise QuerySyntaxError(f'field "{token.field}:" at position {token.position} needs a value')
        out.append(token)
    return out


def _year_range(value: str, where: str) -> YearRange:
    m = _YEAR_VALUE.match(value.translate(_DIGITS))
    if not m or not (m.group(1) or m.group(3)) or (m.group(3) and not m.group(2)):
        raise QuerySyntaxError(f"{where} expects a year or a range like 1990-2000, got {value!r}")
    low = int(m.group(1)) if m.group(1) else None
    high = int(m.group(3)) if m.group(3) else (None if m.group(2) else low)
    if low is not None and high is not None and low > high:
        raise QuerySyntaxError(f"{where}: the range {value!r} ends before it starts")
    return YearRange(low, high)


def _keyword_values(field: str, text: str) -> tuple[str, ...]:
    text = text.strip()
    if field == "isbn":
        return (isbn_key(text),)
    if field == "issn":
        return (issn_key(text),)
    # Codes are stored as catalogued; readers type them in any case.
    return tuple(dict.fromkeys([text, text.lower(), text.upper()]))


def _atom(token: _Token) -> Node | None:
    field = token.field
    if field == "year":
        return _year_range(token.text, "year:")
    if field in KEYWORD_FIELDS:
        return Exact(field, _keyword_values(field, token.text))
    words = tuple(tokens(token.text))
    if not words:
        return None  # punctuation only: nothing to look for
    node = Words(field, words)
    if field is None and not token.phrase and _ISBN_SHAPE.fullmatch(token.text.translate(_DIGITS)):
        # A bare ISBN or ISSN typed into the search box should find the book by its number too.
        number = stdnum_isbn.compact(token.text.translate(_DIGITS))
        if stdnum_isbn.is_valid(number):
            return AnyOf((node, Exact("isbn", (isbn_key(number),))))
    if field is None and not token.phrase and stdnum_issn.is_valid(token.text.translate(_DIGITS)):
        return AnyOf((node, Exact("issn", (issn_key(token.text),))))
    return node


def parse_query(q: str) -> Node:
    """Parse the reader's query; raises QuerySyntaxError naming the problem and where it is."""
    groups: list[list[_Token]] = []
    joining = negate_next = False
    for token in _lex(q):
        op = token.operator
        if op == "OR":
            if not groups or joining:
                raise QuerySyntaxError(f'"OR" at position {token.position} needs a term on each side')
            joining = True
            continue
        if op == "AND":
            continue
        if op == "NOT":
            negate_next = True
            continue
        if negate_next:
            token.negated, negate_next = True, False
        if joining:
            groups[-1].append(token)
            joining = False
        else:
            groups.append([token])
    if joining:
        raise QuerySyntaxError('"OR" at the end of the query needs a term after it')
    if negate_next:
        raise QuerySyntaxError('"NOT" at the end of the query needs a term after it')

    required: list[Node] = []
    excluded: list[Node] = []
    for group in groups:
        if len(group) > 1 and any(t.negated for t in group):
            raise QuerySyntaxError(
                f"an excluded term cannot be one side of OR (position {group[0].position}); "
                f"exclude it on its own instead"
            )
        atoms = [a for a in (_atom(t) for t in group) if a is not None]
        if not atoms:
            continue
        node = atoms[0] if len(atoms) == 1 else AnyOf(tuple(atoms))
        (excluded if group[0].negated else required).append(node)
    if not required and not excluded:
        return MatchAll()
    if not excluded and len(required) == 1:
        return required[0]
    return AllOf(tuple(required) or (MatchAll(),), tuple(excluded))


def parse_filters(filters: dict[str, list[str]]) -> list[Node]:
    """Filters chosen from facets (or given to the API): OR within one name, AND across names.

    Values are taken as exact facet values (a whole subject heading, a language code as shown),
    except ``title``/``author`` (a phrase) and ``isbn``/``issn`` (normalised numbers).
    """
    nodes: list[Node] = []
    for name, values in filters.items():
        values = [v for v in values if v is not None and str(v).strip()]
        if not values:
            continue
        if name not in FIELDS and name not in FACETS:
            raise QuerySyntaxError(f"unknown filter {name!r}; filters are {_FIELD_NAMES}")
        options: list[Node] = []
        exact: list[str] = []
        for value in values:
            value = str(value)
            if name == "year":
                options.append(_year_range(value, "the year filter"))
            elif name in ("title", "author"):
                words = tuple(tokens(value))
                if words:
                    options.append(Words(name, words))
            elif name == "isbn":
                exact.append(isbn_key(value))
            elif name == "issn":
                exact.append(issn_key(value))
            else:
                exact.append(value)
        if exact:
            options.append(Exact(name, tuple(dict.fromkeys(exact))))
        if options:
            nodes.append(options[0] if len(options) == 1 else AnyOf(tuple(options)))
    return nodes

"""CQL → the catalogue's query language, so SRU searches run through the one search path readers use.

The search backend takes the reader's query text (``SearchRequest.q``) and parses it with
``catalogue.search.query.parse_query``; nothing accepts a pre-built tree (decision in docs/sru.md).
So a CQL tree is translated into that text, which the backend parses back into the same kind of
tree the OPAC produces. Every atom is written so the reader's parser cannot misread it: words are
first folded by ``scripts.normalise.tokens`` (the function index and query parser share) and then
always quoted (``title:"shah nameh"``), so no term can become an operator or a field prefix; ISBNs
go through ``isbn_key``; years are validated integers.

The reader's language is a conjunction of OR-groups with single excluded terms
(``a b OR c -d``) and has no parentheses. A CQL boolean tree is therefore brought into conjunctive
normal form (negations pushed to the atoms, OR distributed over AND, capped at ``MAX_CLAUSES``);
anything needing an excluded term inside an OR group (``a or not b`` as in ``x not (a and b)``)
cannot be said in that language and is refused with diagnostic 48 rather than run differently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from itertools import product

from stdnum import isbn as stdnum_isbn
from stdnum import issn as stdnum_issn

from kitabkhana.catalogue.search.query import isbn_key, issn_key
from kitabkhana.scripts.normalise import tokens
from kitabkhana.sru import cql
from kitabkhana.sru.diagnostics import SruDiagnostic

__all__ = ["CONTEXT_SETS", "INDEXES", "SCANNABLE", "SORTABLE", "Translation", "cql_to_search", "resolve_index"]

#: Context sets this server knows: prefix → identifier (shown in explain).
CONTEXT_SETS: dict[str, str] = {
    "cql": "info:srw/cql-context-set/1/cql-v1.2",
    "dc": "info:srw/cql-context-set/1/dc-v1.1",
    "bath": "http://zing.z3950.org/cql/bath/2.0/",
    "rec": "info:srw/cql-context-set/2/rec-1.1",
}
_URI_PREFIX = {uri: prefix for prefix, uri in CONTEXT_SETS.items()} | {
    "info:srw/cql-context-set/1/cql-v1.1": "cql",
    "info:srw/cql-context-set/1/cql-v1.2": "cql",
    "info:srw/cql-context-set/2/rec-1.0": "rec",
}

#: Canonical index → (kind, query-language field or None for every text field). Kinds decide
#: which relations apply. "serverchoice" covers title, author, subject and the other text.
INDEXES: dict[str, tuple[str, str | None]] = {
    "cql.serverchoice": ("words", None),
    "cql.allrecords": ("all", None),
    "dc.title": ("words", "title"),
    "dc.creator": ("words", "author"),
    "dc.subject": ("words", "subject"),
    "dc.date": ("date", "year"),
    "dc.identifier": ("identifier", None),
    "dc.language": ("code", "language"),
    "bath.isbn": ("isbn", "isbn"),
    "bath.issn": ("issn", "issn"),
    "rec.id": ("identifier", None),
}
#: Index names without a prefix (and common aliases) → canonical index.
_SHORT = {
    "serverchoice": "cql.serverchoice", "anywhere": "cql.serverchoice", "cql.anywhere": "cql.serverchoice",
    "keywords": "cql.serverchoice", "cql.keywords": "cql.serverchoice", "allrecords": "cql.allrecords",
    "title": "dc.title", "creator": "dc.creator", "author": "dc.creator", "dc.author": "dc.creator",
    "bath.author": "dc.creator", "bath.name": "dc.creator", "name": "dc.creator",
    "subject": "dc.subject", "bath.subject": "dc.subject", "bath.title": "dc.title",
    "date": "dc.date", "year": "dc.date", "identifier": "dc.identifier", "id": "dc.identifier",
    "language": "dc.language", "isbn": "bath.isbn", "dc.isbn": "bath.isbn", "issn": "bath.issn",
    "dc.issn": "bath.issn",
}
#: Indexes scan can list terms of (see selectors.sru_scan).
SCANNABLE = ("dc.title", "dc.creator")
#: Indexes sortBy accepts → the search's sort (ascending, descending).
SORTABLE = {"dc.title": ("title", None), "dc.date": ("year_asc", "year_desc")}

#: Relation modifiers that change nothing here (the index is case- and accent-folded already).
_HARMLESS_MODIFIERS = {"relevant", "ignorecase", "ignoreaccents", "word", "string", "fuzzy"}
MAX_CLAUSES = 64
MAX_BOOLEANS = 64
MAX_TERM = 500
_YEAR = re.compile(r"^\d{1,4}$")


@dataclass(frozen=True)
class Translation:
    q: str  # the reader's query language
    sort: str = "relevance"
    #: True when the query can match nothing (e.g. ``x not cql.allRecords=1``): no search needed
    matches_nothing: bool = False


# --------------------------------------------------------------------------- boolean algebra

_TRUE = ("true",)
_FALSE = ("false",)


def _and(a, b):
    return ("and", a, b)


def _or(a, b):
    return ("or", a, b)


def _not(a):
    return ("not", a)


def _all_of(items: list) -> tuple:
    out = items[0]
    for item in items[1:]:
        out = _and(out, item)
    return out


def _any_of(items: list) -> tuple:
    out = items[0]
    for item in items[1:]:
        out = _or(out, item)
    return out


def _cnf(expr, negate: bool = False) -> list[frozenset]:
    """Clauses (frozensets of (atom, positive)) whose conjunction is ``expr`` (negated if asked)."""
    kind = expr[0]
    if kind == "not":
        return _cnf(expr[1], not negate)
    if kind in ("and", "or"):
        left, right = _cnf(expr[1], negate), _cnf(expr[2], negate)
        conjunction = (kind == "and") != negate  # De Morgan
        if conjunction:
            return left + right
        if len(left) * len(right) > MAX_CLAUSES:
            raise SruDiagnostic(48, "boolean expansion", f"the query expands to more than {MAX_CLAUSES} "
                                "groups of alternatives; simplify the combination of OR and AND")
        return [a | b for a, b in product(left, right)]
    if expr is _TRUE or expr is _FALSE:
        value = (expr is _TRUE) != negate
        return [] if value else [frozenset()]
    return [frozenset({(expr, not negate)})]


def _render(clauses: list[frozenset]) -> Translation | str:
    parts: list[str] = []
    for clause in dict.fromkeys(clauses):
        if not clause:
            return Translation("", matches_nothing=True)
        positive = sorted(atom[1] for atom, yes in clause if yes)
        negative = sorted(atom[1] for atom, yes in clause if not yes)
        if negative and (positive or len(negative) > 1):
            shown = " or ".join([*positive, *(f"not {n}" for n in negative)])
            raise SruDiagnostic(48, "negation inside or", (
                f"the query needs an excluded term as one side of OR ({shown}); the catalogue's search "
                "can exclude a term only on its own: rewrite the query"
            ))
        if negative:
            parts.append(f"-{negative[0]}")
        else:
            parts.append(" OR ".join(positive))
    return " ".join(parts)


# --------------------------------------------------------------------------- atoms


def _atom(text: str) -> tuple:
    return ("atom", text)


def resolve_index(index: str, context: str | None = None) -> str:
    """The canonical name (``dc.title``...) of an index as written; raises diagnostics 15/16."""
    index = index.lower()
    if "." in index:
        prefix, name = index.split(".", 1)
        if context is not None:
            known = _URI_PREFIX.get(context)
            if known is None:
                raise SruDiagnostic(15, context, f"the context set {context} is not supported")
            index = f"{known}.{name}"
        elif prefix not in CONTEXT_SETS:
            raise SruDiagnostic(15, prefix, f'the context set prefix "{prefix}" is not known; '
                                f"known prefixes are {', '.join(CONTEXT_SETS)}")
    elif context is not None and _URI_PREFIX.get(context):
        index = f"{_URI_PREFIX[context]}.{index}"
    index = _SHORT.get(index, index)
    if index not in INDEXES:
        names = ", ".join(sorted(INDEXES))
        raise SruDiagnostic(16, index, f'the index "{index}" is not supported; indexes are {names}')
    return index


def _phrase(field: str | None, words: list[str]) -> tuple:
    body = " ".join(words)
    return _atom(f'{field}:"{body}"' if field else f'"{body}"')


def _words(field: str | None, clause: cql.SearchClause, term: str) -> tuple:
    words = tokens(term)
    if not words:
        raise SruDiagnostic(27, clause.index, f'the term "{term}" has no letters or digits to search for')
    relation = clause.relation
    if relation in ("=", "adj", "==", "exact"):
        return _phrase(field, words)
    if relation == "all":
        return _all_of([_phrase(field, [w]) for w in words])
    if relation == "any":
        return _any_of([_phrase(field, [w]) for w in words])
    if relation == "<>":
        return _not(_phrase(field, words))
    raise SruDiagnostic(19, relation, f'the relation "{relation}" is not supported for {clause.index}; '
                        "use =, ==, exact, adj, all, any or <>")


def _number(kind: str, clause: cql.SearchClause, term: str) -> tuple:
    relation = clause.relation
    values = term.split() if relation == "any" else [term]
    if relation not in ("=", "==", "exact", "adj", "any", "<>"):
        raise SruDiagnostic(19, relation, f'the relation "{relation}" is not supported for {clause.index}')
    keys = [(isbn_key if kind == "isbn" else issn_key)(v) for v in values]
    if not all(re.fullmatch(r"[0-9]{7,12}[0-9X]", k) for k in keys):
        raise SruDiagnostic(36, term, f'"{term}" is not an {kind.upper()}')
    atoms = [_atom(f"{kind}:{k}") for k in keys]
    node = _any_of(atoms)
    return _not(node) if relation == "<>" else node


def _identifier(clause: cql.SearchClause, term: str) -> tuple:
    compact = term.strip()
    if stdnum_isbn.is_valid(compact):
        return _number("isbn", clause, compact)
    if stdnum_issn.is_valid(compact):
        return _number("issn", clause, compact)
    # Control numbers (001) are in the index's catch-all text, reached by an unfielded phrase.
    return _words(None, clause, term)


def _year(clause: cql.SearchClause, text: str) -> int:
    text = text.strip()
    if not _YEAR.match(text):
        raise SruDiagnostic(36, text, f'{clause.index} expects a year (up to four digits), got "{text}"')
    return int(text)


def _date(clause: cql.SearchClause, term: str) -> tuple:
    relation = clause.relation
    if relation in ("=", "==", "exact", "<>"):
        parts = re.split(r"\s*-\s*|\s+", term.strip())
        if len(parts) == 2:
            low, high = _year(clause, parts[0]), _year(clause, parts[1])
        elif len(parts) == 1:
            low = high = _year(clause, parts[0])
        else:
            raise SruDiagnostic(36, term, f'{clause.index} expects a year or a range like "1990-2000"')
        node = _atom(f"year:{low}" if low == high else f"year:{low}-{high}")
        return _not(node) if relation == "<>" else node
    if relation == "within":
        parts = term.split()
        if len(parts) != 2:
            raise SruDiagnostic(24, f"within {term}", 'within expects two years, e.g. dc.date within "1990 2000"')
        low, high = sorted((_year(clause, parts[0]), _year(clause, parts[1])))
        return _atom(f"year:{low}-{high}")
    year = _year(clause, term)
    ranges = {"<": f"-{year - 1}", "<=": f"-{year}", ">": f"{year + 1}-", ">=": f"{year}-"}
    if relation not in ranges:
        raise SruDiagnostic(19, relation, f'the relation "{relation}" is not supported for {clause.index}; '
                            "use =, <, >, <=, >=, <> or within")
    return _atom(f"year:{ranges[relation]}")


def _code(field: str, clause: cql.SearchClause, term: str) -> tuple:
    relation = clause.relation
    if relation not in ("=", "==", "exact", "any"):
        raise SruDiagnostic(19, relation, f'the relation "{relation}" is not supported for {clause.index}')
    codes = [c for c in re.split(r"\s+", term.strip()) if c]
    if not codes or not all(re.fullmatch(r"[A-Za-z0-9-]+", c) for c in codes):
        raise SruDiagnostic(36, term, f"{clause.index} expects codes such as per, eng, rus")
    return _any_of([_atom(f"{field}:{c}") for c in codes])


def _clause(clause: cql.SearchClause) -> tuple:
    index = resolve_index(clause.index, clause.context)
    clause = replace(clause, index=index)  # messages name the canonical index
    kind, field = INDEXES[index]
    if kind == "all":
        return _TRUE
    for modifier in clause.modifiers:
        name = modifier.name.removeprefix("cql.")
        if name not in _HARMLESS_MODIFIERS:
            raise SruDiagnostic(20, modifier.name, f'the relation modifier "{modifier.name}" is not supported')
    raw = clause.term
    if len(raw) > MAX_TERM:
        raise SruDiagnostic(23, str(MAX_TERM), f"terms are limited to {MAX_TERM} characters")
    if cql.has_mask(raw):
        raise SruDiagnostic(28, raw, "truncation and wildcards (* and ?) are not supported; the index "
                            "matches whole words, folded for case, diacritics and script variants")
    if cql.has_anchor(raw):
        raise SruDiagnostic(31, raw, "anchoring (^) is not supported")
    term = cql.unescape(raw)
    if not term.strip():
        raise SruDiagnostic(27, index, "an empty term searches for nothing")
    if kind == "words":
        return _words(field, clause, term)
    if kind in ("isbn", "issn"):
        return _number(kind, clause, term)
    if kind == "identifier":
        return _identifier(clause, term)
    if kind == "date":
        return _date(clause, term)
    assert field is not None
    return _code(field, clause, term)


def _tree(node: cql.Node, count: list[int]) -> tuple:
    if isinstance(node, cql.SearchClause):
        return _clause(node)
    count[0] += 1
    if count[0] > MAX_BOOLEANS:
        raise SruDiagnostic(38, str(MAX_BOOLEANS), f"at most {MAX_BOOLEANS} booleans in one query")
    if node.op == "prox":
        raise SruDiagnostic(39, "prox", "prox is not supported; the index keeps no word distances across fields")
    if node.modifiers:
        raise SruDiagnostic(46, node.modifiers[0].name, f'the boolean modifier "{node.modifiers[0].name}" '
                            "is not supported")
    left, right = _tree(node.left, count), _tree(node.right, count)
    if node.op == "and":
        return _and(left, right)
    if node.op == "or":
        return _or(left, right)
    return _and(left, _not(right))  # CQL's "not" is "and not"


def _sort(keys: tuple[cql.SortKey, ...]) -> str:
    if not keys:
        return "relevance"
    if len(keys) > 1:
        raise SruDiagnostic(84, "1", "one sort key is supported")
    key = keys[0]
    index = resolve_index(key.index, key.context)
    if index not in SORTABLE:
        raise SruDiagnostic(16, index, f"sorting is possible by {' or '.join(SORTABLE)}")
    ascending, descending = SORTABLE[index]
    names = {m.name.removeprefix("sort.") for m in key.modifiers}
    unknown = names - {"ascending", "descending", "ignorecase", "ignoreaccents", "missinghigh", "missinglow",
                       "missingomit"}
    if unknown:
        raise SruDiagnostic(20, sorted(unknown)[0], "unsupported sort modifier")
    if "descending" in names:
        if descending is None:
            raise SruDiagnostic(90, "descending", f"{index} can only be sorted ascending")
        return descending
    return ascending


def cql_to_search(query: str) -> Translation:
    """Translate a CQL query into the reader's query language and a sort; raises SruDiagnostic."""
    try:
        parsed = cql.parse(query)
    except cql.CqlError as exc:
        raise SruDiagnostic(exc.code, exc.details, str(exc)) from None
    expr = _tree(parsed.root, [0])
    sort = _sort(parsed.sort_keys)
    rendered = _render(_cnf(expr))
    if isinstance(rendered, Translation):
        return Translation("", sort, matches_nothing=True)
    return Translation(rendered, sort)

"""A parser for CQL 1.2 (the Contextual Query Language of SRU), pure Python, no Django.

The grammar (loc.gov/standards/sru/cql, CQL 1.2), read as a recursive descent::

    sortedQuery   ::= prefixAssignment sortedQuery | scopedClause ['sortBy' sortSpec]
    cqlQuery      ::= prefixAssignment cqlQuery | scopedClause
    prefixAssignment ::= '>' prefix '=' uri | '>' uri
    scopedClause  ::= scopedClause booleanGroup searchClause | searchClause     (left-associative)
    booleanGroup  ::= boolean [modifierList]          boolean ::= and | or | not | prox
    searchClause  ::= '(' cqlQuery ')' | index relation searchTerm | searchTerm
    relation      ::= comparitor [modifierList]
    comparitor    ::= '=' | '>' | '<' | '>=' | '<=' | '<>' | '==' | namedComparitor (an identifier)
    modifier      ::= '/' modifierName [comparitorSymbol modifierValue]
    sortSpec      ::= (index [modifierList])+
    term          ::= identifier | 'and' | 'or' | 'not' | 'prox' | 'sortby'
    identifier    ::= charString1 | charString2

charString1 is a run of characters other than whitespace and ``( ) = < > " /``; charString2 is a
double-quoted string in which ``\\`` escapes the next character. All booleans have the same
precedence and associate to the left: ``a or b and c`` is ``(a or b) and c``. Keywords (booleans,
``sortBy``, index and relation names) are case-insensitive; terms are kept as written, with their
backslash escapes, because an escaped ``\\*`` is a literal star while a bare ``*`` is a mask.

Errors are ``CqlError`` carrying the SRU diagnostic number (10 syntax, 13 parentheses, 14 quotes)
and the 1-based character position where the parser stopped, so a client can point at it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "BOOLEANS", "MAX_DEPTH", "Boolean", "CqlError", "Modifier", "Node", "Query", "SearchClause", "SortKey",
    "has_anchor", "has_mask", "parse", "unescape",
]

BOOLEANS = ("and", "or", "not", "prox")
_SYMBOLS = ("==", "<>", "<=", ">=", "=", "<", ">")
_SPECIAL = set('()=<>"/')
#: Diagnostic numbers (info:srw/diagnostic/1/N) for what a parser can find wrong.
SYNTAX, PARENTHESES, QUOTES = 10, 13, 14
#: Parentheses nested deeper than this are refused (13): the parser recurses once per level, and a few
#: hundred levels would exhaust Python's stack. No real query comes near it (the server takes 64 booleans).
MAX_DEPTH = 100


class CqlError(ValueError):
    """The query cannot be parsed; ``code`` is the SRU diagnostic number, ``position`` 1-based."""

    def __init__(self, message: str, *, code: int = SYNTAX, position: int | None = None, details: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.position = position
        self.details = details or (str(position) if position is not None else "")


@dataclass(frozen=True)
class Modifier:
    name: str  # as written (lower-cased), e.g. "relevant", "sort.descending", "unit"
    comparitor: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class SearchClause:
    """``index relation term``; a bare term has index ``cql.serverchoice`` and relation ``=``."""

    index: str  # lower-cased, as written ("dc.title", "title")
    relation: str  # a symbol or a lower-cased name ("all", "exact", ...)
    term: str  # as written between the quotes, escapes kept
    modifiers: tuple[Modifier, ...] = ()
    #: the context set URI the index's prefix was bound to by a prefix assignment in scope, if any
    context: str | None = None
    position: int = 0


@dataclass(frozen=True)
class Boolean:
    op: str  # "and" | "or" | "not" | "prox"
    left: Node
    right: Node
    modifiers: tuple[Modifier, ...] = ()
    position: int = 0


Node = SearchClause | Boolean


@dataclass(frozen=True)
class SortKey:
    index: str
    modifiers: tuple[Modifier, ...] = ()
    context: str | None = None


@dataclass(frozen=True)
class Query:
    root: Node
    sort_keys: tuple[SortKey, ...] = ()
    #: prefix assignments at the top of the query: prefix ("" for the default set) → URI
    prefixes: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- lexer


@dataclass(frozen=True)
class _Token:
    kind: str  # "(" ")" "/" "sym" "word" "end"
    text: str
    position: int  # 1-based
    quoted: bool = False

    def keyword(self, *words: str) -> bool:
        return self.kind == "word" and not self.quoted and self.text.lower() in words


def _lex(query: str) -> list[_Token]:
    out: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "()/":
            out.append(_Token(ch, ch, i + 1))
            i += 1
            continue
        if ch in "=<>":
            symbol = next(s for s in _SYMBOLS if query.startswith(s, i))
            out.append(_Token("sym", symbol, i + 1))
            i += len(symbol)
            continue
        if ch == '"':
            j = i + 1
            chars: list[str] = []
            while j < n and query[j] != '"':
                if query[j] == "\\" and j + 1 < n:
                    chars.append(query[j : j + 2])
                    j += 2
                    continue
                chars.append(query[j])
                j += 1
            if j >= n:
                raise CqlError(f'the quote at position {i + 1} is never closed', code=QUOTES, position=i + 1)
            out.append(_Token("word", "".join(chars), i + 1, quoted=True))
            i = j + 1
            continue
        j = i
        while j < n and not query[j].isspace() and query[j] not in _SPECIAL:
            j += 1
        out.append(_Token("word", query[i:j], i + 1))
        i = j
    out.append(_Token("end", "", n + 1))
    return out


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, query: str) -> None:
        self.tokens = _lex(query)
        self.at = 0
        self.depth = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.at]

    def peek(self, ahead: int = 1) -> _Token:
        return self.tokens[min(self.at + ahead, len(self.tokens) - 1)]

    def take(self) -> _Token:
        token = self.token
        self.at += 1
        return token

    @staticmethod
    def describe(token: _Token) -> str:
        return "the end of the query" if token.kind == "end" else f'"{token.text}"'

    def fail(self, expected: str, token: _Token | None = None, code: int = SYNTAX) -> CqlError:
        token = token or self.token
        return CqlError(
            f"expected {expected} at position {token.position}, found {self.describe(token)}",
            code=code, position=token.position,
        )

    def term(self, what: str) -> _Token:
        if self.token.kind != "word":
            code = PARENTHESES if self.token.kind in "()" else SYNTAX
            raise self.fail(what, code=code)
        return self.take()

    # prefixAssignment ::= '>' prefix '=' uri | '>' uri
    def prefix_assignments(self, scope: dict[str, str]) -> dict[str, str]:
        assigned: dict[str, str] = {}
        while self.token.kind == "sym" and self.token.text == ">":
            self.take()
            first = self.term("a context set prefix or URI after '>'")
            if self.token.kind == "sym" and self.token.text == "=":
                self.take()
                uri = self.term(f'a context set URI for the prefix "{first.text}"')
                assigned[first.text.lower()] = unescape(uri.text)
            else:
                assigned[""] = unescape(first.text)
        return {**scope, **assigned} if assigned else scope

    def modifiers(self) -> tuple[Modifier, ...]:
        found: list[Modifier] = []
        while self.token.kind == "/":
            self.take()
            name = self.term("a modifier name after '/'")
            if self.token.kind == "sym":
                comparitor = self.take().text
                value = self.term(f'a value for the modifier "{name.text}"')
                found.append(Modifier(name.text.lower(), comparitor, unescape(value.text)))
            else:
                found.append(Modifier(name.text.lower()))
        return tuple(found)

    def query(self, scope: dict[str, str]) -> Node:
        scope = self.prefix_assignments(scope)
        return self.scoped_clause(scope)

    def scoped_clause(self, scope: dict[str, str]) -> Node:
        left = self.search_clause(scope)
        while self.token.keyword(*BOOLEANS):
            op = self.take()
            modifiers = self.modifiers()
            right = self.search_clause(scope)
            left = Boolean(op.text.lower(), left, right, modifiers, op.position)
        return left

    def search_clause(self, scope: dict[str, str]) -> Node:
        token = self.token
        if token.kind == "(":
            if self.depth == MAX_DEPTH:
                raise CqlError(f"parentheses nested more than {MAX_DEPTH} deep (at position {token.position})",
                               code=PARENTHESES, position=token.position)
            self.take()
            self.depth += 1
            inner = self.query(scope)
            self.depth -= 1
            if self.token.kind != ")":
                raise CqlError(
                    f"the parenthesis opened at position {token.position} is not closed "
                    f"(found {self.describe(self.token)} at position {self.token.position})",
                    code=PARENTHESES, position=self.token.position,
                )
            self.take()
            return inner
        if token.kind == ")":
            raise CqlError(f"unexpected ')' at position {token.position}", code=PARENTHESES,
                           position=token.position)
        if token.kind == "sym" and token.text == ">":
            raise self.fail("a search term (prefix assignments only start a query or a parenthesis)")
        first = self.term("a search term or an index")
        after = self.token
        is_relation = after.kind == "sym" or (
            after.kind == "word" and not after.quoted and not after.keyword(*BOOLEANS, "sortby")
        )
        if not is_relation:
            context = scope.get("")
            return SearchClause("cql.serverchoice", "=", first.text, (), context, first.position)
        relation = self.take()
        modifiers = self.modifiers()
        term = self.term(f'a search term after "{first.text} {relation.text}"')
        index = unescape(first.text).lower()
        prefix = index.split(".", 1)[0] if "." in index else ""
        return SearchClause(index, relation.text.lower(), term.text, modifiers, scope.get(prefix), first.position)

    def sort_keys(self, scope: dict[str, str]) -> tuple[SortKey, ...]:
        keys: list[SortKey] = []
        while self.token.kind == "word":
            index = unescape(self.take().text).lower()
            prefix = index.split(".", 1)[0] if "." in index else ""
            keys.append(SortKey(index, self.modifiers(), scope.get(prefix)))
        if not keys:
            raise self.fail("an index to sort by after sortBy")
        return tuple(keys)


def parse(query: str) -> Query:
    """Parse a CQL query; raises CqlError with a diagnostic number and position."""
    if not query or not query.strip():
        raise CqlError("the query is empty", code=SYNTAX, position=1)
    parser = _Parser(query)
    scope = parser.prefix_assignments({})
    root = parser.scoped_clause(scope)
    sort_keys: tuple[SortKey, ...] = ()
    if parser.token.keyword("sortby"):
        parser.take()
        sort_keys = parser.sort_keys(scope)
    if parser.token.kind != "end":
        code = PARENTHESES if parser.token.kind == ")" else SYNTAX
        raise parser.fail("a boolean (and, or, not, prox), sortBy or the end of the query", code=code)
    return Query(root, sort_keys, scope)


# --------------------------------------------------------------------------- terms


def _unescaped(term: str):
    """(character, escaped?) pairs of a term."""
    i = 0
    while i < len(term):
        if term[i] == "\\" and i + 1 < len(term):
            yield term[i + 1], True
            i += 2
        else:
            yield term[i], False
            i += 1


def unescape(term: str) -> str:
    return "".join(ch for ch, _ in _unescaped(term))


def has_mask(term: str) -> bool:
    """True when the term uses an unescaped masking character (``*`` or ``?``)."""
    return any(ch in "*?" and not escaped for ch, escaped in _unescaped(term))


def has_anchor(term: str) -> bool:
    """True when the term uses an unescaped anchoring character (``^``)."""
    return any(ch == "^" and not escaped for ch, escaped in _unescaped(term))

"""The CQL 1.2 parser: precedence, quoting, relations, modifiers, prefixes, sortBy and errors with positions."""

from __future__ import annotations

import pytest

from kitabkhana.sru.cql import (
    Boolean,
    CqlError,
    Modifier,
    SearchClause,
    has_anchor,
    has_mask,
    parse,
    unescape,
)


def _shape(node) -> str:
    """A compact, fully parenthesised rendering of a parse tree, to compare structure."""
    if isinstance(node, SearchClause):
        return f"{node.index} {node.relation} {node.term}"
    return f"({_shape(node.left)} {node.op} {_shape(node.right)})"


def test_bare_term_is_server_choice_with_equals():
    clause = parse("shahnameh").root
    assert clause == SearchClause("cql.serverchoice", "=", "shahnameh", (), None, 1)


def test_booleans_share_one_precedence_and_associate_left():
    assert _shape(parse("a or b and c").root) == (
        "((cql.serverchoice = a or cql.serverchoice = b) and cql.serverchoice = c)"
    )
    assert _shape(parse("a and b or c not d").root) == (
        "(((cql.serverchoice = a and cql.serverchoice = b) or cql.serverchoice = c) not cql.serverchoice = d)"
    )


def test_parentheses_group_and_nest():
    assert _shape(parse("a and (b or (c not d))").root) == (
        "(cql.serverchoice = a and (cql.serverchoice = b or (cql.serverchoice = c not cql.serverchoice = d)))"
    )


def test_keywords_are_case_insensitive_but_terms_are_kept_as_written():
    root = parse('dc.Title ALL "Shāh Nāmah" AND Creator = Ferdowsi').root
    assert isinstance(root, Boolean) and root.op == "and"
    assert root.left == SearchClause("dc.title", "all", "Shāh Nāmah", (), None, 1)
    assert root.right.index == "creator" and root.right.term == "Ferdowsi"


def test_quoted_terms_keep_spaces_operators_and_escapes():
    clause = parse(r'title = "war and peace \"1869\" / (vol. 1)"').root
    assert clause.term == r'war and peace \"1869\" / (vol. 1)'
    assert unescape(clause.term) == 'war and peace "1869" / (vol. 1)'
    # A boolean word is a term where a term is expected (the grammar allows it), quoted or not.
    assert parse('"and"').root.term == "and"
    assert parse("and").root.term == "and"


def test_persian_and_cyrillic_terms_without_quotes():
    assert parse("dc.title=شاهنامه").root.term == "شاهنامه"
    assert _shape(parse("Толстой or Tolstoy").root) == "(cql.serverchoice = Толстой or cql.serverchoice = Tolstoy)"


@pytest.mark.parametrize("symbol", ["=", "==", "<>", "<", ">", "<=", ">="])
def test_symbolic_relations_need_no_spaces(symbol):
    clause = parse(f"dc.date{symbol}1990").root
    assert (clause.index, clause.relation, clause.term) == ("dc.date", symbol, "1990")


def test_named_relations_and_relation_modifiers():
    clause = parse("title any/relevant/cql.string x").root
    assert clause.relation == "any"
    assert clause.modifiers == (Modifier("relevant"), Modifier("cql.string"))
    clause = parse("title =/locale=fa x").root
    assert clause.modifiers == (Modifier("locale", "=", "fa"),)


def test_boolean_modifiers_and_prox_are_parsed_for_the_server_to_judge():
    root = parse("a prox/unit=word/distance<3 b").root
    assert root.op == "prox"
    assert root.modifiers == (Modifier("unit", "=", "word"), Modifier("distance", "<", "3"))


def test_prefix_assignments_bind_an_index_prefix_to_a_context_set():
    query = parse('>x="info:srw/cql-context-set/1/dc-v1.1" x.title=a and (>y="urn:other" y.title=b)')
    assert query.prefixes == {"x": "info:srw/cql-context-set/1/dc-v1.1"}
    assert query.root.left.context == "info:srw/cql-context-set/1/dc-v1.1"
    assert query.root.right.context == "urn:other"
    assert parse('>"info:srw/cql-context-set/1/dc-v1.1" title=a').root.context == "info:srw/cql-context-set/1/dc-v1.1"


def test_sort_by_takes_keys_with_modifiers():
    query = parse("dc.title=x sortBy dc.date/sort.descending dc.title")
    assert [k.index for k in query.sort_keys] == ["dc.date", "dc.title"]
    assert query.sort_keys[0].modifiers == (Modifier("sort.descending"),)


@pytest.mark.parametrize(("query", "code", "position"), [
    ("", 10, 1),
    ("title=", 10, 7),
    ("a and", 10, 6),
    ("(a or b", 13, 8),
    ("a or b)", 13, 7),
    (")", 13, 1),
    ('title="unterminated', 14, 7),
    ("a b", 10, 4),  # "a" index, "b" relation, then the term is missing
    ("title = x sortBy", 10, 17),
])
def test_errors_carry_diagnostic_number_and_position(query, code, position):
    with pytest.raises(CqlError) as caught:
        parse(query)
    assert caught.value.code == code
    assert caught.value.position == position
    assert f"position {position}" in str(caught.value) or query == ""


def test_masking_and_anchoring_are_detected_unless_escaped():
    assert has_mask("shah*") and has_mask("wom?n")
    assert not has_mask(r"shah\*") and not has_mask(r"what\?")
    assert has_anchor("^shah") and not has_anchor(r"\^shah")
    assert unescape(r"a\*b\\c") == r"a*b\c"


def test_nesting_too_deep_is_a_parentheses_error_not_a_crash():
    """A few hundred nested parentheses exhausted Python's recursion (an HTTP 500 from /sru); beyond
    MAX_DEPTH the parser answers diagnostic 13 at the parenthesis that goes too deep."""
    assert _shape(parse("(" * 50 + "x" + ")" * 50).root) == "cql.serverchoice = x"
    with pytest.raises(CqlError) as caught:
        parse("(" * 5000 + "x" + ")" * 5000)
    assert caught.value.code == 13 and caught.value.position == 101
    with pytest.raises(CqlError) as caught:
        parse("a and (" * 3000 + "b" + ")" * 3000)
    assert caught.value.code == 13

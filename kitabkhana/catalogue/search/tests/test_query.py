"""The query language parses into the engine-neutral tree, and bad queries say what is wrong."""

import pytest

from kitabkhana.catalogue.search.base import QuerySyntaxError
from kitabkhana.catalogue.search.query import (
    AllOf,
    AnyOf,
    Exact,
    MatchAll,
    Words,
    YearRange,
    isbn_key,
    parse_filters,
    parse_query,
)


def test_words_are_anded_and_folded():
    assert parse_query("Ottoman EMPİRE") == AllOf((Words(None, ("ottoman",)), Words(None, ("empire",))))


def test_empty_or_punctuation_only_matches_all():
    assert parse_query("") == MatchAll()
    assert parse_query("  ... ") == MatchAll()


def test_phrase_and_fielded_phrase():
    assert parse_query('"war and peace"') == Words(None, ("war", "and", "peace"))
    assert parse_query('title:"شاه نامه"') == Words("title", ("شاه", "نامه"))
    assert parse_query("Author:Tolstoy") == Words("author", ("tolstoy",))


def test_hyphenated_or_cjk_word_becomes_a_phrase():
    assert parse_query("al-Farabi") == Words(None, ("al", "farabi"))
    assert parse_query("红楼梦") == Words(None, ("红", "楼", "梦"))


def test_or_binds_tighter_than_and_and_exclusion():
    assert parse_query("history tehran OR isfahan -poetry") == AllOf(
        (Words(None, ("history",)), AnyOf((Words(None, ("tehran",)), Words(None, ("isfahan",))))),
        (Words(None, ("poetry",)),),
    )
    assert parse_query("NOT poetry") == AllOf((MatchAll(),), (Words(None, ("poetry",)),))


def test_year_values():
    assert parse_query("year:1990") == YearRange(1990, 1990)
    assert parse_query("year:1990-2000") == YearRange(1990, 2000)
    assert parse_query("year:۱۳۹۰-") == YearRange(1390, None)
    assert parse_query("year:-1900") == YearRange(None, 1900)


def test_isbn_10_and_13_share_one_key():
    assert isbn_key("0-306-40615-2") == isbn_key("978-0-306-40615-7") == "9780306406157"
    assert isbn_key("0306406152 (pbk.)") == "9780306406157"
    assert parse_query("isbn:0-306-40615-2") == Exact("isbn", ("9780306406157",))
    # typed without a field, it is looked for as a number and as words
    assert parse_query("0306406152") == AnyOf((Words(None, ("0306406152",)), Exact("isbn", ("9780306406157",))))


def test_keyword_fields_ignore_case():
    assert parse_query("language:PER") == Exact("language", ("PER", "per"))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("foo:bar", 'unknown field "foo:"'),
        ('title:"war and peace', "unbalanced quote"),
        ("title:", 'field "title:" at position 1 needs a value'),
        ("year:nineteen", "year: expects a year or a range"),
        ("year:2000-1990", "ends before it starts"),
        ("OR tehran", '"OR" at position 1 needs a term on each side'),
        ("tehran OR", '"OR" at the end'),
        ("tehran OR -isfahan", "excluded term cannot be one side of OR"),
    ],
)
def test_syntax_errors_name_the_problem(query, message):
    with pytest.raises(QuerySyntaxError, match=message):
        parse_query(query)


def test_filters_or_within_and_across():
    nodes = parse_filters({"language": ["per", "ara"], "year": ["1990-2000"], "subject": []})
    assert nodes == [Exact("language", ("per", "ara")), YearRange(1990, 2000)]
    with pytest.raises(QuerySyntaxError, match="unknown filter 'colour'"):
        parse_filters({"colour": ["red"]})

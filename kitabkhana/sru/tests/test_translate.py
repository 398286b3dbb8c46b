"""CQL → the reader's query language: indexes, relations, booleans in normal form, and the diagnostics."""

from __future__ import annotations

import pytest

from kitabkhana.catalogue.search.query import AllOf, AnyOf, Exact, MatchAll, Words, YearRange, parse_query
from kitabkhana.sru.diagnostics import SruDiagnostic
from kitabkhana.sru.translate import cql_to_search


def tree(cql: str):
    """The catalogue query tree the translated text parses into (what the index will run)."""
    return parse_query(cql_to_search(cql).q)


def test_word_indexes_map_to_fields_and_fold_like_the_index():
    assert tree('dc.title = "Shāh-nāmah"') == Words("title", ("shah", "namah"))
    assert tree("creator=Фердоуси") == Words("author", ("фердоуси",))
    assert tree("subject=poetry") == Words("subject", ("poetry",))
    assert tree("شاهنامه") == Words(None, ("شاهنامه",))


def test_relations_all_any_and_exact():
    assert tree('title all "tarikh iran"') == AllOf((Words("title", ("tarikh",)), Words("title", ("iran",))))
    assert tree('title any "tarikh iran"') == AnyOf((Words("title", ("iran",)), Words("title", ("tarikh",))))
    assert tree('title exact "tarikh iran"') == Words("title", ("tarikh", "iran"))
    assert tree('title == "tarikh iran"') == Words("title", ("tarikh", "iran"))
    assert tree('title adj "tarikh iran"') == Words("title", ("tarikh", "iran"))


def test_isbn_and_identifier_use_the_index_isbn_key():
    assert tree("bath.isbn = 0-306-40615-2") == Exact("isbn", ("9780306406157",))
    assert tree("isbn=9780306406157") == Exact("isbn", ("9780306406157",))
    assert tree("dc.identifier=0306406152") == Exact("isbn", ("9780306406157",))
    assert tree("issn=0317-8471") == Exact("issn", ("03178471",))
    # Not an ISBN or ISSN: a control number, searched in the catch-all text.
    assert tree("rec.id=ocm12345") == Words(None, ("ocm12345",))


def test_date_relations_become_year_ranges():
    assert tree("dc.date=1399") == YearRange(1399, 1399)
    assert tree("dc.date < 1900") == YearRange(None, 1899)
    assert tree("dc.date <= 1900") == YearRange(None, 1900)
    assert tree("dc.date > 1900") == YearRange(1901, None)
    assert tree("dc.date >= 1900") == YearRange(1900, None)
    assert tree('dc.date within "2000 1990"') == YearRange(1990, 2000)
    assert tree('dc.date = "1990-2000"') == YearRange(1990, 2000)
    assert tree("date=۱۳۹۹") == YearRange(1399, 1399)  # Persian digits


def test_booleans_and_not():
    assert tree("title=a and creator=b") == AllOf((Words("title", ("a",)), Words("author", ("b",))))
    assert tree("title=a or creator=b") == AnyOf((Words("author", ("b",)), Words("title", ("a",))))
    assert tree("title=a not subject=c") == AllOf((Words("title", ("a",)),), (Words("subject", ("c",)),))
    # (a or b) and c → two groups; a or (b and c) → (a or b) and (a or c)
    assert tree("(title=a or title=b) and title=c") == AllOf((
        AnyOf((Words("title", ("a",)), Words("title", ("b",)))), Words("title", ("c",)),
    ))
    assert tree("title=a or (title=b and title=c)") == AllOf((
        AnyOf((Words("title", ("a",)), Words("title", ("b",)))),
        AnyOf((Words("title", ("a",)), Words("title", ("c",)))),
    ))
    # not (b or c) → not b, not c
    assert tree("a not (b or c)") == AllOf((Words(None, ("a",)),), (Words(None, ("b",)), Words(None, ("c",))))


def test_all_records_and_its_negation():
    assert tree("cql.allRecords = 1") == MatchAll()
    assert tree("cql.allRecords=1 not title=x") == AllOf((MatchAll(),), (Words("title", ("x",)),))
    assert cql_to_search("title=x not cql.allRecords=1").matches_nothing


def test_terms_that_look_like_operators_or_fields_stay_terms():
    assert tree('"OR"') == Words(None, ("or",))
    assert tree('title="author:x -y"') == Words("title", ("author", "x", "y"))


def test_sort_by():
    assert cql_to_search("title=x sortBy dc.title").sort == "title"
    assert cql_to_search("title=x sortBy dc.date/sort.descending").sort == "year_desc"
    assert cql_to_search("title=x sortBy date").sort == "year_asc"


def test_prefix_assignment_maps_any_prefix_to_a_known_set():
    assert tree('>k="info:srw/cql-context-set/1/dc-v1.1" k.title=a') == Words("title", ("a",))


@pytest.mark.parametrize(("query", "code", "details"), [
    ("title=(", 13, "7"),
    ("title=", 10, "7"),
    ('title="a', 14, "7"),
    ("(a", 13, "3"),
    ("dc.publisher=x", 16, "dc.publisher"),
    ("foo.title=x", 15, "foo"),
    ('>k="urn:unknown" k.title=a', 15, "urn:unknown"),
    ("title < x", 19, "<"),
    ("dc.date all 1990", 19, "all"),
    ("title =/respectCase x", 20, "respectcase"),
    ("title=shah*", 28, "shah*"),
    ("title=wom?n", 28, "wom?n"),
    ("title=^shah", 31, "^shah"),
    ('title=""', 27, "dc.title"),
    ("title=...", 27, "dc.title"),
    ("dc.date=nineteen", 36, "nineteen"),
    ("isbn=abc", 36, "abc"),
    ("a prox b", 39, "prox"),
    ("a and/rel.combine=sum b", 46, "rel.combine"),
    ("x not (a and b)", 48, "negation inside or"),
    ("a sortBy dc.title dc.date", 84, "1"),
    ("a sortBy dc.title/sort.descending", 90, "descending"),
    ("a sortBy dc.subject", 16, "dc.subject"),
])
def test_diagnostics(query, code, details):
    with pytest.raises(SruDiagnostic) as caught:
        cql_to_search(query)
    assert caught.value.code == code
    assert caught.value.details == details
    assert caught.value.uri == f"info:srw/diagnostic/1/{code}"


def test_boolean_explosion_is_refused_not_run():
    query = " and ".join(f"({' or '.join(f't{i}{j}' for j in range(4))})" for i in range(3))
    assert cql_to_search(query).q.count(" OR ") == 9  # already in normal form: 3 groups of 4
    exploding = " or ".join(f"(a{i} and b{i})" for i in range(8))
    with pytest.raises(SruDiagnostic) as caught:
        cql_to_search(exploding)
    assert caught.value.code == 48

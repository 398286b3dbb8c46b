"""The /sru endpoint through Django's test client: operations, versions, paging, schemas, diagnostics, scripts."""

from __future__ import annotations

import pytest
from lxml import etree

from kitabkhana.sru.tests.conftest import (
    DC,
    DIAG1,
    DIAG2,
    MARC,
    SCAN2,
    SRU1,
    SRU2,
    ZEEREX,
    diagnostics,
    sru_xml,
)

pytestmark = [pytest.mark.shared_data]


def search(client, namespace=SRU2, **params):
    return sru_xml(client.get("/sru", params), namespace)


def count(root) -> int:
    return int(root.findtext("{*}numberOfRecords"))


def positions(root) -> list[int]:
    return [int(p.text) for p in root.iterfind("{*}records/{*}record/{*}recordPosition")]


def control_numbers(root) -> list[str]:
    return [f.text for f in root.iterfind(f".//{{{MARC}}}controlfield[@tag='001']")]


# --------------------------------------------------------------------------- explain


@pytest.mark.django_db
def test_bare_endpoint_is_an_sru_2_explain_with_a_zeerex_record(client):
    root = sru_xml(client.get("/sru"))
    assert root.tag == f"{{{SRU2}}}explainResponse"
    assert root.find(f"{{{SRU2}}}version") is None  # removed in 2.0
    explain = root.find(f".//{{{ZEEREX}}}explain")
    assert explain.findtext(f"{{{ZEEREX}}}serverInfo/{{{ZEEREX}}}database") == "sru"
    names = {(n.get("set"), n.text) for n in explain.iterfind(f".//{{{ZEEREX}}}index/{{{ZEEREX}}}map/{{{ZEEREX}}}name")}
    assert {("dc", "title"), ("dc", "creator"), ("dc", "subject"), ("bath", "isbn"), ("dc", "date"),
            ("cql", "serverChoice")} <= names
    schemas = {s.get("name"): s.get("identifier") for s in explain.iterfind(f".//{{{ZEEREX}}}schema")}
    assert schemas == {"marcxml": "info:srw/schema/1/marcxml-v1.1", "dc": "info:srw/schema/1/dc-v1.1",
                       "unimarc": "info:srw/schema/8/unimarcxml-v0.1"}
    settings = {s.get("type"): s.text for s in explain.iterfind(f"{{{ZEEREX}}}configInfo/*")}
    assert settings["maximumRecords"] == "100" and settings["numberOfRecords"] == "10"


@pytest.mark.django_db
def test_sru_1_2_explain_names_its_version_first(client):
    root = sru_xml(client.get("/sru", {"operation": "explain", "version": "1.2"}), SRU1)
    assert root.tag == f"{{{SRU1}}}explainResponse"
    assert [etree.QName(c).localname for c in root][:2] == ["version", "record"]
    assert root.findtext(f"{{{SRU1}}}version") == "1.2"
    assert root.findtext(f"{{{SRU1}}}record/{{{SRU1}}}recordPacking") == "xml"


# --------------------------------------------------------------------------- searchRetrieve


@pytest.mark.django_db
def test_persian_query_typed_with_persian_letters_finds_arabic_letter_record(client, catalogue):
    # Persian keyboard ی and ک; the record's 880 has Arabic ي and ك (Princeton manuscript).
    root = search(client, version="1.2", operation="searchRetrieve", query='dc.title="دیوان مولانا کمال"',
                  namespace=SRU1)
    assert count(root) == 1
    record = root.find(f".//{{{MARC}}}record")
    vernacular = [s.text for s in record.iterfind(f"{{{MARC}}}datafield[@tag='880']/{{{MARC}}}subfield[@code='a']")]
    assert "ديوان مولانا كمال" in vernacular
    # One word finds every divan, whatever the yeh: ي, ی and the dotless ى all fold together.
    root = search(client, query="dc.title=دیوان", recordSchema="dc", maximumRecords="10")
    titles = [t.text for t in root.iterfind(f".//{{{DC}}}title")]
    assert count(root) == 3
    assert "دىوان شاهدى" in titles and "ديوان مولانا كمال" in titles


@pytest.mark.django_db
def test_cyrillic_queries_over_unimarc_records(client, catalogue):
    root = search(client, query="title=туризм", recordSchema="dc", maximumRecords="10")
    titles = [t.text for t in root.iterfind(f".//{{{DC}}}title")]
    assert count(root) == 3
    assert "Туризм: история и современность : Избр. произведения : В 4 т." in titles
    root = search(client, query='dc.title all "ТУРИЗМ история"', recordSchema="dc")
    assert count(root) == 1
    root = search(client, query="creator=Бабель and dc.date=2002", recordSchema="dc")
    assert count(root) == 1
    assert root.findtext(f".//{{{DC}}}title") == "Собрание сочинений : В 2 т."
    # The request is echoed; 2.0 states the count is exact.
    root = search(client, query="title=туризм", maximumRecords="2")
    echo = root.find(f"{{{SRU2}}}echoedSearchRetrieveRequest")
    assert echo.findtext(f"{{{SRU2}}}query") == "title=туризм"
    assert echo.findtext(f"{{{SRU2}}}maximumRecords") == "2"
    assert root.findtext(f"{{{SRU2}}}resultCountPrecision") == "info:srw/vocabulary/resultCountPrecision/1/exact"


@pytest.mark.django_db
def test_paging_positions_next_record_unaligned_starts_and_the_cap(client, catalogue):
    first = search(client, query="cql.allRecords=1", maximumRecords="10", recordSchema="marcxml")
    total = count(first)
    assert total > 100
    assert positions(first) == list(range(1, 11))
    assert first.findtext("{*}nextRecordPosition") == "11"
    ten = control_numbers(first)
    # An unaligned window (3..7) is the same records as positions 3..7 of the first page.
    middle = search(client, query="cql.allRecords=1", startRecord="3", maximumRecords="5")
    assert positions(middle) == [3, 4, 5, 6, 7]
    assert control_numbers(middle) == ten[2:7]
    assert middle.findtext("{*}nextRecordPosition") == "8"
    last = search(client, query="cql.allRecords=1", startRecord=str(total - 1), maximumRecords="10")
    assert positions(last) == [total - 1, total]
    assert last.find("{*}nextRecordPosition") is None
    beyond = search(client, query="cql.allRecords=1", startRecord=str(total + 1))
    assert diagnostics(beyond) == [("info:srw/diagnostic/1/61", str(total + 1))]
    assert count(beyond) == total
    # More than 100 is capped; 0 asks only for the count.
    capped = search(client, query="cql.allRecords=1", maximumRecords="500")
    assert len(positions(capped)) == 100
    assert capped.findtext("{*}nextRecordPosition") == "101"
    only_count = search(client, query="title=туризм", maximumRecords="0")
    assert count(only_count) == 3 and only_count.find("{*}records") is None


@pytest.mark.django_db
def test_sort_by_date_descending(client, catalogue):
    root = search(client, query="dc.language=rus sortBy dc.date/sort.descending", recordSchema="dc",
                  maximumRecords="50")
    years = [int(d.text) for d in root.iterfind(f".//{{{DC}}}date") if d.text.isdigit() and len(d.text) == 4]
    assert len(years) > 10
    assert years == sorted(years, reverse=True)


@pytest.mark.django_db
def test_schemas_marcxml_dc_unimarc_and_string_packing(client, catalogue):
    marcxml = search(client, query="title=туризм", recordSchema="info:srw/schema/1/dc-v1.1")
    assert marcxml.findtext("{*}records/{*}record/{*}recordSchema") == "info:srw/schema/1/dc-v1.1"
    unimarc = search(client, query='title all "туризм история"', recordSchema="unimarc")
    record = unimarc.find(f".//{{{MARC}}}record")
    assert unimarc.findtext("{*}records/{*}record/{*}recordSchema") == "info:srw/schema/8/unimarcxml-v0.1"
    title = record.findtext(f"{{{MARC}}}datafield[@tag='200']/{{{MARC}}}subfield[@code='a']")
    assert title.startswith("Туризм")
    # Each flavour is cross-walked to the other on request: RUSMARC as MARC 21, MARC 21 as UNIMARC.
    as_marc21 = search(client, query='title all "туризм история"', recordSchema="marcxml")
    title = as_marc21.findtext(f".//{{{MARC}}}datafield[@tag='245']/{{{MARC}}}subfield[@code='a']")
    assert title.startswith("Туризм")
    as_unimarc = search(client, query='dc.title="دیوان مولانا کمال"', recordSchema="unimarc")
    title = as_unimarc.findtext(f".//{{{MARC}}}datafield[@tag='200']/{{{MARC}}}subfield[@code='a']")
    assert title.startswith("Dīvān-i Mawlānā Kamāl")
    packed = search(client, query="dc.title=دیوان", recordSchema="marcxml", recordXMLEscaping="string",
                    recordPacking="packed")
    data = packed.find("{*}records/{*}record/{*}recordData")
    assert len(data) == 0  # text, not elements
    inner = etree.fromstring(data.text)
    assert inner.tag == f"{{{MARC}}}record" and inner.findtext(f"{{{MARC}}}leader")
    v1 = search(client, SRU1, version="1.2", operation="searchRetrieve", query="dc.title=دیوان",
                recordPacking="string")
    assert v1.findtext("{*}records/{*}record/{*}recordPacking") == "string"


# --------------------------------------------------------------------------- diagnostics


@pytest.mark.django_db
@pytest.mark.parametrize(("params", "code", "details"), [
    ({"query": "title=x", "startRecord": "0"}, 6, "startRecord"),
    ({"query": "title=x", "maximumRecords": "many"}, 6, "maximumRecords"),
    ({"query": "title=x", "recordSchema": "mods"}, 66, "mods"),
    ({"query": "title=x", "recordXMLEscaping": "json"}, 71, "json"),
    ({"query": "title=x", "recordPacking": "unpacked"}, 71, "unpacked"),
    ({"query": "title=x", "stylesheet": "/s.xsl"}, 110, "/s.xsl"),
    ({"query": "title=x", "colour": "blue"}, 8, "colour"),
    ({"query": "title=x", "queryType": "pqf"}, 6, "queryType"),
    ({"query": "title=x", "sortKeys": "title"}, 80, "sortKeys"),
    ({"query": "dc.publisher=x"}, 16, "dc.publisher"),
    ({"query": "title=(x"}, 13, "7"),
    ({"query": "title < x"}, 19, "<"),
    ({"query": "title=tour*"}, 28, "tour*"),
    ({"operation": "searchRetrieve"}, 7, "query"),
])
def test_search_diagnostics_in_sru_2(client, params, code, details):
    root = search(client, **params)
    assert diagnostics(root) == [(f"info:srw/diagnostic/1/{code}", details)]
    assert root.find(f".//{{{DIAG2}}}diagnostic") is not None
    assert root.find("{*}records") is None


@pytest.mark.django_db
def test_sru_1_2_diagnostics_use_the_srw_namespaces(client):
    root = sru_xml(client.get("/sru", {"version": "1.2", "operation": "searchRetrieve", "query": "a prox b"}), SRU1)
    assert root.tag == f"{{{SRU1}}}searchRetrieveResponse"
    assert root.findtext(f"{{{SRU1}}}numberOfRecords") == "0"
    diagnostic = root.find(f"{{{SRU1}}}diagnostics/{{{DIAG1}}}diagnostic")
    assert diagnostic.findtext(f"{{{DIAG1}}}uri") == "info:srw/diagnostic/1/39"
    assert "prox" in diagnostic.findtext(f"{{{DIAG1}}}message")


@pytest.mark.django_db
def test_version_and_operation_diagnostics(client):
    unsupported = sru_xml(client.get("/sru", {"version": "3.0", "operation": "explain"}))
    assert diagnostics(unsupported) == [("info:srw/diagnostic/1/5", "2.0")]
    missing = sru_xml(client.get("/sru", {"version": "1.2", "query": "x"}), SRU1)
    assert diagnostics(missing) == [("info:srw/diagnostic/1/7", "operation")]
    unknown = sru_xml(client.get("/sru", {"version": "1.2", "operation": "update"}), SRU1)
    assert diagnostics(unknown) == [("info:srw/diagnostic/1/4", "update")]
    # SRU 2.0 without an operation: a query means searchRetrieve.
    implied = sru_xml(client.get("/sru", {"query": "title=x"}))
    assert implied.tag == f"{{{SRU2}}}searchRetrieveResponse"


# --------------------------------------------------------------------------- scan


@pytest.mark.django_db
def test_scan_titles_in_folded_order_with_counts(client, catalogue):
    root = sru_xml(client.get("/sru", {"version": "1.2", "operation": "scan", "scanClause": "dc.title=туризм",
                                       "maximumTerms": "3"}), SRU1)
    terms = [(t.findtext("{*}value"), int(t.findtext("{*}numberOfRecords")), t.findtext("{*}whereInList"))
             for t in root.iterfind(f"{{{SRU1}}}terms/{{{SRU1}}}term")]
    assert len(terms) == 3
    assert terms[0][0].startswith("туризм история")
    assert [w for _, _, w in terms] == ["inner", "inner", "inner"]  # the index goes on both sides
    assert [v for v, _, _ in terms] == sorted(v for v, _, _ in terms)
    # Position 2: one term before the place of "туризм" comes first.
    root = sru_xml(client.get("/sru", {"operation": "scan", "scanClause": "dc.title=туризм",
                                       "responsePosition": "2", "maximumTerms": "3"}), SCAN2)
    values = [t.findtext(f"{{{SCAN2}}}value") for t in root.iterfind(f".//{{{SCAN2}}}term")]
    assert values[1] == terms[0][0] and values[0] < "туризм"
    # "Вып. 13", "Вып. 14" ... are separate headings; "Ч. 2" occurs in several records.
    root = sru_xml(client.get("/sru", {"operation": "scan", "scanClause": 'title="ч 2"', "maximumTerms": "1"}), SCAN2)
    assert root.findtext(f".//{{{SCAN2}}}value") == "ч 2"
    assert int(root.findtext(f".//{{{SCAN2}}}numberOfRecords")) >= 2


@pytest.mark.django_db
def test_scan_diagnostics(client):
    root = sru_xml(client.get("/sru", {"operation": "scan", "scanClause": "bath.isbn=978"}), SCAN2)
    assert diagnostics(root) == [("info:srw/diagnostic/1/16", "bath.isbn")]
    root = sru_xml(client.get("/sru", {"operation": "scan", "scanClause": "title=a",
                                       "responsePosition": "50", "maximumTerms": "5"}), SCAN2)
    assert diagnostics(root) == [("info:srw/diagnostic/1/120", "50")]
    root = sru_xml(client.get("/sru", {"operation": "scan"}), SCAN2)
    assert diagnostics(root) == [("info:srw/diagnostic/1/7", "scanClause")]


@pytest.mark.django_db
def test_sru_2_scan_response_is_in_the_scan_namespace(client, catalogue):
    """OASIS searchRetrieve Part 6 (scan.xsd): SRU 2.0's scanResponse and everything in it are in the scan
    namespace, not sruResponse's; SRU 1.x keeps the srw namespace."""
    root = sru_xml(client.get("/sru", {"operation": "scan", "scanClause": "dc.title=туризм", "maximumTerms": "2"}),
                   SCAN2)
    assert root.tag == f"{{{SCAN2}}}scanResponse"
    assert len(root.findall(f"{{{SCAN2}}}terms/{{{SCAN2}}}term")) == 2
    assert root.find(f"{{{SCAN2}}}echoedScanRequest/{{{SCAN2}}}scanClause").text == "dc.title=туризм"
    problem = sru_xml(client.get("/sru", {"operation": "scan", "scanClause": "bath.isbn=978"}), SCAN2)
    assert problem.find(f"{{{SCAN2}}}diagnostics/{{{DIAG2}}}diagnostic") is not None
    old = sru_xml(client.get("/sru", {"version": "1.2", "operation": "scan", "scanClause": "dc.title=туризм"}), SRU1)
    assert old.tag == f"{{{SRU1}}}scanResponse"


@pytest.mark.django_db
def test_deeply_nested_query_is_a_diagnostic_not_a_server_error(client):
    """3 000 nested parentheses: SRU 1.2 and 2.0 answer diagnostic 13 (HTTP 200), as SRU requires."""
    query = "(" * 3000 + "x" + ")" * 3000
    root = search(client, SRU1, version="1.2", operation="searchRetrieve", query=query)
    assert diagnostics(root) == [("info:srw/diagnostic/1/13", "101")]
    root = search(client, query=query)
    assert diagnostics(root) == [("info:srw/diagnostic/1/13", "101")]
    root = sru_xml(client.get("/sru", {"operation": "scan", "scanClause": query}), SCAN2)
    assert diagnostics(root) == [("info:srw/diagnostic/1/13", "101")]


@pytest.mark.django_db
def test_scan_where_in_list_is_the_place_in_the_whole_index(client, catalogue):
    """SRU scan: whereInList gives the term's place "within the complete term list"; a page from the middle
    of the index is all "inner" (a client that sees "last" stops paging), the index's own ends are
    "first" and "last"."""
    def scan(term: str, position: str = "1", maximum: str = "3") -> list[tuple[str, str]]:
        root = sru_xml(client.get("/sru", {"operation": "scan", "scanClause": f'dc.title="{term}"',
                                           "responsePosition": position, "maximumTerms": maximum}), SCAN2)
        return [(t.findtext(f"{{{SCAN2}}}value"), t.findtext(f"{{{SCAN2}}}whereInList"))
                for t in root.iterfind(f".//{{{SCAN2}}}term")]

    middle = scan("туризм", position="2")
    assert len(middle) == 3 and {w for _, w in middle} == {"inner"}
    start = scan("!")  # no letters: the place before every term
    assert [w for _, w in start] == ["first", "inner", "inner"]
    last_value = scan("\U0002A6D6", position="2", maximum="2")  # a CJK letter: after every title
    assert [w for _, w in last_value] == ["last"]


@pytest.mark.django_db
def test_scan_refuses_range_relations(client):
    """SRU scan: "Range relations, such as <, >=, within and so forth, are prohibited" (diagnostic 19)."""
    for clause in ("dc.title>=shah", "dc.title<shah", "dc.title within \"a b\""):
        root = sru_xml(client.get("/sru", {"operation": "scan", "scanClause": clause}), SCAN2)
        assert [uri for uri, _ in diagnostics(root)] == ["info:srw/diagnostic/1/19"], clause

"""Fixtures for the SRU tests: a catalogue of real records, and XML helpers that read responses."""

from __future__ import annotations

import pytest
from lxml import etree

from kitabkhana.catalogue.services.importing import marc_file_import

SRU1 = "http://www.loc.gov/zing/srw/"
SRU2 = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
DIAG1 = "http://www.loc.gov/zing/srw/diagnostic/"
DIAG2 = "http://docs.oasis-open.org/ns/search-ws/diagnostic"
SCAN2 = "http://docs.oasis-open.org/ns/search-ws/scan"
MARC = "http://www.loc.gov/MARC21/slim"
DC = "http://purl.org/dc/elements/1.1/"
ZEEREX = "http://explain.z3950.org/dtd/2.0/"

#: Child order of the response elements (srw 1.2 types; OASIS sruResponse.xsd for 2.0).
ORDER = {
    "searchRetrieveResponse": ["version", "numberOfRecords", "resultSetId", "resultSetIdleTime", "records",
                               "nextRecordPosition", "echoedSearchRetrieveRequest", "diagnostics",
                               "extraResponseData", "resultSetTTL", "resultCountPrecision"],
    "explainResponse": ["version", "record", "echoedExplainRequest", "diagnostics", "extraResponseData"],
    "scanResponse": ["version", "terms", "echoedScanRequest", "diagnostics", "extraResponseData"],
    "record": ["recordSchema", "recordPacking", "recordXMLEscaping", "recordData", "recordPosition",
               "extraRecordData"],
    "diagnostic": ["uri", "details", "message"],
    "echoedSearchRetrieveRequest": ["version", "queryType", "query", "xQuery", "startRecord", "maximumRecords",
                                    "recordXMLEscaping", "recordPacking", "recordSchema"],
    "echoedExplainRequest": ["version", "recordXMLEscaping", "recordPacking"],
    "echoedScanRequest": ["version", "scanClause", "responsePosition", "maximumTerms"],
    "term": ["value", "numberOfRecords", "displayTerm", "whereInList", "extraTermData"],
}


@pytest.fixture
def catalogue(db, shared_data):
    """Real records: 99 MARC 21 (Princeton, with Arabic-script 880s, some Persian) and 65 RUSMARC (Cyrillic)."""
    jobs = [
        marc_file_import(path=shared_data / "marc21-nonlatin" / "lc-marc2bibframe2" / "princeton.xml"),
        marc_file_import(path=shared_data / "unimarc" / "rusmarc-nlr-cp1251.iso"),
    ]
    assert all(job.created > 0 for job in jobs)
    return jobs


def local(element) -> str:
    return etree.QName(element).localname


def check_shape(element, namespace: str) -> None:
    """Every element of the response is in ``namespace`` (diagnostics in theirs) and in schema order."""
    name = local(element)
    if name in ORDER:
        names = [local(c) for c in element if isinstance(c.tag, str)]
        positions = [ORDER[name].index(n) for n in names]
        assert positions == sorted(positions), f"<{name}> children out of order: {names}"
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if local(child) == "recordData":
            continue
        child_ns = etree.QName(child).namespace
        if local(child) in ("diagnostic", "uri", "details", "message"):
            assert child_ns in (DIAG1, DIAG2)
        elif child_ns != SCAN2:
            assert child_ns == namespace, f"<{local(child)}> in {child_ns}, expected {namespace}"
        check_shape(child, namespace)


def sru_xml(response, namespace: str = SRU2):
    assert response.status_code == 200
    root = etree.fromstring(response.content)
    assert etree.QName(root).namespace == namespace
    check_shape(root, namespace)
    return root


def diagnostics(root) -> list[tuple[str, str]]:
    return [(d.findtext("{*}uri"), d.findtext("{*}details") or "") for d in root.iter("{*}diagnostic")]

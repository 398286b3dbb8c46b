"""SRU response documents, versions 1.1/1.2 and 2.0, built with lxml (so always well-formed).

Element order follows the schemas: SRU 1.2's ``http://www.loc.gov/zing/srw/`` types and OASIS
searchRetrieve 1.0's ``sruResponse.xsd`` (SRU 2.0): ``version`` (1.x only; 2.0 removed it),
``numberOfRecords``, ``records``, ``nextRecordPosition``, ``echoedSearchRetrieveRequest``,
``diagnostics``, then (2.0 only) ``resultCountPrecision``. A 1.x record carries ``recordPacking``
(xml|string); a 2.0 record carries ``recordXMLEscaping`` (xml|string) in its place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from kitabkhana.sru.diagnostics import SruDiagnostic

__all__ = ["V1", "V2", "Protocol", "ScanTerm", "explain_response", "protocol_for", "scan_response",
           "search_response"]

#: The recordSchema of a surrogate diagnostic (a record that could not be sent as asked).
SURROGATE_SCHEMA = "info:srw/schema/1/diagnostics-v1.1"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Protocol:
    version: str
    namespace: str
    diagnostic_namespace: str
    scan_namespace: str
    content_type: str

    @property
    def is_v2(self) -> bool:
        return self.version.startswith("2")


V1 = Protocol("1.2", "http://www.loc.gov/zing/srw/", "http://www.loc.gov/zing/srw/diagnostic/",
              "http://www.loc.gov/zing/srw/", "text/xml; charset=utf-8")
V2 = Protocol("2.0", "http://docs.oasis-open.org/ns/search-ws/sruResponse",
              "http://docs.oasis-open.org/ns/search-ws/diagnostic", "http://docs.oasis-open.org/ns/search-ws/scan",
              "application/sru+xml; charset=utf-8")


def protocol_for(version: str) -> Protocol:
    """1.1 and 1.2 share one response shape (answered as the version asked); 2.0 has its own."""
    if not version.startswith("1"):
        return V2
    if version == "1.1":
        return Protocol("1.1", V1.namespace, V1.diagnostic_namespace, V1.scan_namespace, V1.content_type)
    return V1


def _text(value: object) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


class _Builder:
    def __init__(self, protocol: Protocol, root: str, namespace: str | None = None) -> None:
        self.p = protocol
        self.ns = namespace or protocol.namespace
        self.root = etree.Element(self.tag(root), nsmap={None: self.ns})

    def tag(self, name: str, namespace: str | None = None) -> str:
        return f"{{{namespace or self.ns}}}{name}"

    def add(self, parent: etree._Element, name: str, value: object = None, namespace: str | None = None):
        child = etree.SubElement(parent, self.tag(name, namespace))
        if value is not None:
            child.text = _text(value)
        return child

    def version(self) -> None:
        if not self.p.is_v2:
            self.add(self.root, "version", self.p.version)

    def diagnostics(self, diagnostics: Iterable[SruDiagnostic], namespace: str | None = None) -> None:
        diagnostics = list(diagnostics)
        if not diagnostics:
            return
        holder = self.add(self.root, "diagnostics", namespace=namespace)
        for d in diagnostics:
            holder.append(self.surrogate(d))

    def echo(self, name: str, fields: list[tuple[str, object]], namespace: str | None = None) -> None:
        holder = self.add(self.root, name, namespace=namespace)
        for key, value in fields:
            if value not in (None, ""):
                self.add(holder, key, value, namespace=namespace)

    def surrogate(self, diagnostic: SruDiagnostic) -> etree._Element:
        """A diagnostic standing in for one record (the diagnostics schema), so the others still go out."""
        diag_ns = self.p.diagnostic_namespace
        element = etree.Element(f"{{{diag_ns}}}diagnostic", nsmap={"diag": diag_ns})
        etree.SubElement(element, f"{{{diag_ns}}}uri").text = diagnostic.uri
        if diagnostic.details:
            etree.SubElement(element, f"{{{diag_ns}}}details").text = _text(diagnostic.details)
        etree.SubElement(element, f"{{{diag_ns}}}message").text = _text(diagnostic.message)
        return element

    def record(self, parent: etree._Element, *, schema: str, data: etree._Element | SruDiagnostic, escaping: str,
               position: int | None) -> None:
        if isinstance(data, SruDiagnostic):
            data, schema = self.surrogate(data), SURROGATE_SCHEMA
        record = self.add(parent, "record")
        self.add(record, "recordSchema", schema)
        self.add(record, "recordXMLEscaping" if self.p.is_v2 else "recordPacking", escaping)
        holder = self.add(record, "recordData")
        if escaping == "string":
            holder.text = etree.tostring(data, encoding="unicode")
        else:
            holder.append(data)
        if position is not None:
            self.add(record, "recordPosition", position)

    def bytes(self) -> bytes:
        return etree.tostring(self.root, xml_declaration=True, encoding="UTF-8", pretty_print=False)


def search_response(
    protocol: Protocol, *, total: int | None, records: list[tuple[str, etree._Element | SruDiagnostic, int]],
    escaping: str, next_position: int | None, echo: list[tuple[str, object]],
    diagnostics: list[SruDiagnostic],
) -> bytes:
    """``records`` are (schema identifier, record element or a surrogate diagnostic, position)."""
    b = _Builder(protocol, "searchRetrieveResponse")
    b.version()
    b.add(b.root, "numberOfRecords", total if total is not None else 0)
    if records:
        holder = b.add(b.root, "records")
        for schema, data, position in records:
            b.record(holder, schema=schema, data=data, escaping=escaping, position=position)
    if next_position is not None:
        b.add(b.root, "nextRecordPosition", next_position)
    b.echo("echoedSearchRetrieveRequest", echo)
    b.diagnostics(diagnostics)
    if protocol.is_v2 and total is not None and not diagnostics:
        b.add(b.root, "resultCountPrecision", "info:srw/vocabulary/resultCountPrecision/1/exact")
    return b.bytes()


def explain_response(
    protocol: Protocol, *, explain: etree._Element, escaping: str, echo: list[tuple[str, object]],
    diagnostics: list[SruDiagnostic],
) -> bytes:
    b = _Builder(protocol, "explainResponse")
    b.version()
    b.record(b.root, schema="http://explain.z3950.org/dtd/2.0/", data=explain, escaping=escaping, position=None)
    b.echo("echoedExplainRequest", echo)
    b.diagnostics(diagnostics)
    return b.bytes()


@dataclass(frozen=True)
class ScanTerm:
    value: str
    count: int
    display: str
    where: str  # first | last | only | inner


def scan_response(
    protocol: Protocol, *, terms: list[ScanTerm], echo: list[tuple[str, object]],
    diagnostics: list[SruDiagnostic],
) -> bytes:
    """SRU 1.x: ``scanResponse`` in the srw namespace; 2.0: ``scanResponse`` and all it holds in the scan
    namespace (OASIS searchRetrieve Part 6, scan.xsd), not in sruResponse's."""
    scan_ns = protocol.scan_namespace
    b = _Builder(protocol, "scanResponse", namespace=scan_ns)
    b.version()
    if terms:
        holder = b.add(b.root, "terms", namespace=scan_ns)
        for term in terms:
            element = b.add(holder, "term", namespace=scan_ns)
            b.add(element, "value", term.value, namespace=scan_ns)
            b.add(element, "numberOfRecords", term.count, namespace=scan_ns)
            b.add(element, "displayTerm", term.display, namespace=scan_ns)
            b.add(element, "whereInList", term.where, namespace=scan_ns)
    b.echo("echoedScanRequest", echo, namespace=scan_ns)
    b.diagnostics(diagnostics, namespace=scan_ns)
    return b.bytes()

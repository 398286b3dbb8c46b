"""An SRU client for copy cataloguing: search a partner's server, read its MARC records. No Django here.

What it guarantees, so a slow, huge or hostile server cannot hurt the cataloguer's page:

- time: connect and read timeouts on every socket operation and a total deadline per response;
- size: the body is streamed and refused past ``max_bytes`` (both by ``core.http.bounded_get``);
- XML: lxml with entities unresolved, no DTD, no network, no huge trees; a body declaring
  ``<!ENTITY`` or ``<!DOCTYPE`` is refused before parsing;
- protocol: SRU 1.1/1.2 (``http://www.loc.gov/zing/srw/``) and 2.0 (OASIS ``sruResponse``)
  responses are read alike; ``<diagnostic>``s (either namespace) are returned for the cataloguer
  to read, never swallowed; records packed as escaped strings are parsed like embedded ones.

Records: each SRU record's ``recordData`` is searched for MARCXML-shaped ``<record>`` elements
(MARC21/slim, MarcXchange, RUSMARC slim, or UNIMARC XML's ``info:srw/schema/8/unimarcxml-v0.1``
namespace). When a record holds several (DNB's "MARC21plus" sends the bibliographic record with
its holdings records), the bibliographic one is taken. They are read by ``marc.reader`` (the one
MARCXML reader: flavour detection, character checks, warnings). A record that is not MARC (PICA
XML, Dublin Core) is listed with the reason it cannot be imported.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pymarc
import requests
from lxml import etree

from kitabkhana.core import http
from kitabkhana.marc.reader import MARCXML_NAMESPACE, read_records

__all__ = ["SruClient", "SruClientError", "SruDiagnosticInfo", "SruRecord", "SruResult", "parse_search_response"]

USER_AGENT = "Kitabkhana-copy-cataloguing/1.0 (SRU)"
SRU_NAMESPACES = ("http://www.loc.gov/zing/srw/", "http://docs.oasis-open.org/ns/search-ws/sruResponse")
#: Namespaces whose <record> elements have the MARCXML element vocabulary.
MARC_NAMESPACES = frozenset({
    MARCXML_NAMESPACE, "info:lc/xmlns/marcxchange-v1", "info:lc/xmlns/marcxchange-v2",
    "http://www.rba.ru/rusmarc/soft", "info:srw/schema/8/unimarcxml-v0.1", "",
})
_HOLDINGS_TYPES = frozenset("uvxy")  # MARC 21 leader/06 of holdings records
_AUTHORITY_TYPES = frozenset("z")


class SruClientError(Exception):
    """The partner's server could not be asked or did not answer with SRU; the message says why."""


@dataclass(frozen=True)
class SruDiagnosticInfo:
    uri: str
    details: str
    message: str

    def __str__(self) -> str:
        number = self.uri.rsplit("/", 1)[-1] if self.uri.startswith("info:srw/diagnostic/") else self.uri
        text = self.message or "diagnostic"
        return f"{text} (diagnostic {number}{', ' + self.details if self.details else ''})"


@dataclass
class SruRecord:
    position: int
    schema: str
    record: pymarc.Record | None = None
    flavour: str | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class SruResult:
    url: str
    version: str
    total: int | None
    records: list[SruRecord]
    diagnostics: list[SruDiagnosticInfo]
    next_position: int | None = None


def _local(tag: object) -> tuple[str, str]:
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):
        namespace, local = tag[1:].split("}", 1)
        return namespace, local
    return "", tag


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           remove_comments=True, remove_pis=True)


def _parse_xml(body: bytes | str, where: str) -> etree._Element:
    if isinstance(body, str):
        body = body.encode("utf-8")
    if b"<!ENTITY" in body:
        raise SruClientError(f"{where}: the response declares XML entities (<!ENTITY); refused")
    if b"<!DOCTYPE" in body[:4096]:
        raise SruClientError(f"{where}: the response carries a DOCTYPE; refused")
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise SruClientError(f"{where}: not well-formed XML (line {exc.lineno}): {exc.msg}") from None
    if root is None:
        raise SruClientError(f"{where}: the response is empty")
    return root


def _child(element: etree._Element, name: str) -> etree._Element | None:
    for child in element:
        if _local(child.tag)[1] == name:
            return child
    return None


def _child_text(element: etree._Element, name: str) -> str:
    child = _child(element, name)
    return (child.text or "").strip() if child is not None else ""


def _int(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _diagnostics(root: etree._Element) -> list[SruDiagnosticInfo]:
    found: list[SruDiagnosticInfo] = []
    for element in root.iter():
        if _local(element.tag)[1] == "diagnostic":
            found.append(SruDiagnosticInfo(
                uri=_child_text(element, "uri"), details=_child_text(element, "details"),
                message=_child_text(element, "message"),
            ))
    return found


def _marc_elements(data: etree._Element) -> list[etree._Element]:
    return [e for e in data.iter() if _local(e.tag)[1] == "record" and _local(e.tag)[0] in MARC_NAMESPACES]


def _leader(element: etree._Element) -> str:
    return (_child_text(element, "leader") or "").ljust(24)


def _choose(elements: list[etree._Element]) -> etree._Element:
    """The bibliographic record of a group (MARC21plus sends holdings records along)."""
    for element in elements:
        kind = (element.get("type") or "").lower()
        if kind == "bibliographic" or (not kind and _leader(element)[6] not in _HOLDINGS_TYPES | _AUTHORITY_TYPES):
            return element
    return elements[0]


def _as_marcxml(element: etree._Element) -> etree._Element:
    """A copy of a MARCXML-shaped record in the MARC21/slim namespace (what our reader expects)."""
    copy = etree.Element(f"{{{MARCXML_NAMESPACE}}}record")
    for child in element:
        namespace, local = _local(child.tag)
        if not local:
            continue
        node = etree.SubElement(copy, f"{{{MARCXML_NAMESPACE}}}{local}", dict(child.attrib))
        node.text = child.text
        for sub in child:
            _, sub_local = _local(sub.tag)
            if sub_local:
                leaf = etree.SubElement(node, f"{{{MARCXML_NAMESPACE}}}{sub_local}", dict(sub.attrib))
                leaf.text = sub.text
    return copy


def _read_marc(elements: list[etree._Element], flavour: str | None) -> list[tuple]:
    """Read MARCXML record elements with ``marc.reader``; returns (record, flavour, error, warnings) each."""
    if not elements:
        return []
    collection = etree.Element(f"{{{MARCXML_NAMESPACE}}}collection", nsmap={None: MARCXML_NAMESPACE})
    for element in elements:
        collection.append(_as_marcxml(element))
    handle, path = tempfile.mkstemp(suffix=".xml", prefix="sru-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(etree.tostring(collection, xml_declaration=True, encoding="UTF-8"))
        results = list(read_records(path, format="marcxml", flavour=flavour or None, name="the SRU response"))
    finally:
        os.unlink(path)
    out_list = []
    for result in results:
        error = str(result.error) if result.error else None
        out_list.append((result.record, result.flavour, error, list(result.warnings)))
    return out_list


def parse_search_response(body: bytes, *, url: str = "", flavour: str | None = None) -> SruResult:
    """Read a searchRetrieve response (SRU 1.1, 1.2 or 2.0); raises SruClientError if it is not one."""
    where = url or "the SRU response"
    root = _parse_xml(body, where)
    namespace, local = _local(root.tag)
    if namespace not in SRU_NAMESPACES or local not in ("searchRetrieveResponse", "explainResponse"):
        raise SruClientError(
            f"{where}: not an SRU searchRetrieve response: the root element is <{local or root.tag}>"
            f"{' in ' + namespace if namespace else ' without a namespace'}"
        )
    version = _child_text(root, "version") or ("2.0" if namespace == SRU_NAMESPACES[1] else "1.x")
    diagnostics = _diagnostics(root)
    if local == "explainResponse":
        return SruResult(where, version, None, [], diagnostics)
    total = _int(_child_text(root, "numberOfRecords"))
    records: list[SruRecord] = []
    pending: list[tuple[SruRecord, etree._Element]] = []
    holder = _child(root, "records")
    for number, element in enumerate(holder if holder is not None else [], start=1):
        if _local(element.tag)[1] != "record":
            continue
        schema = _child_text(element, "recordSchema")
        position = _int(_child_text(element, "recordPosition")) or number
        item = SruRecord(position=position, schema=schema)
        records.append(item)
        data = _child(element, "recordData")
        packing = (_child_text(element, "recordXMLEscaping") or _child_text(element, "recordPacking") or "xml").lower()
        if data is None:
            item.error = f"record {position} has no recordData"
            continue
        if packing == "string" or (len(data) == 0 and (data.text or "").strip().startswith("<")):
            try:
                content = _parse_xml(data.text or "", f"record {position}")
            except SruClientError as exc:
                item.error = str(exc)
                continue
            data = etree.Element("recordData")
            data.append(content)
        marc = _marc_elements(data)
        if not marc:
            inner = next((c for c in data if isinstance(c.tag, str)), None)
            shown = _local(inner.tag)[1] if inner is not None else "text"
            item.error = (f"record {position} is not MARCXML (schema {schema or 'not given'}, element <{shown}>); "
                          "it cannot be imported")
            continue
        pending.append((item, _choose(marc)))
    for (item, _), (record, detected, error, warnings) in zip(
        pending, _read_marc([e for _, e in pending], flavour), strict=True
    ):
        item.record, item.flavour, item.error, item.warnings = record, detected, error, warnings
    next_position = _int(_child_text(root, "nextRecordPosition"))
    return SruResult(where, version, total, records, diagnostics, next_position)


class SruClient:
    """Search one SRU server. ``flavour`` ("marc21"/"unimarc"/None to detect) is how its MARC is read."""

    def __init__(
        self, base_url: str, *, version: str = "1.2", record_schema: str = "marcxml", flavour: str | None = None,
        timeout: float = 10.0, deadline: float = 30.0, max_bytes: int = 20 * 1024 * 1024,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url
        self.version = version
        self.record_schema = record_schema
        self.flavour = flavour or None
        self.timeout = timeout
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", USER_AGENT)

    def search_url(self, query: str, *, start: int = 1, maximum: int = 10) -> str:
        params = {"query": query, "startRecord": str(start), "maximumRecords": str(maximum)}
        if self.version != "2.0":
            params = {"operation": "searchRetrieve", "version": self.version, **params}
        if self.record_schema:
            params["recordSchema"] = self.record_schema
        joiner = "&" if "?" in self.base_url else "?"
        return f"{self.base_url}{joiner}{urlencode(params)}"

    def search(self, query: str, *, start: int = 1, maximum: int = 10) -> SruResult:
        url = self.search_url(query, start=start, maximum=maximum)
        return parse_search_response(self.fetch(url), url=url, flavour=self.flavour)

    def fetch(self, url: str) -> bytes:
        try:
            response = http.bounded_get(
                self.session, url, connect_timeout=min(self.timeout, 10.0), read_timeout=self.timeout,
                deadline=self.deadline, max_bytes=self.max_bytes,
            )
        except http.HttpTimeout as exc:
            if exc.phase == "answer":
                raise SruClientError(f"{url}: the server did not answer within {self.timeout:g} s") from None
            raise SruClientError(f"{url}: the server stopped sending for more than {self.timeout:g} s") from None
        except http.HttpDeadline:
            raise SruClientError(f"{url}: the response took longer than {self.deadline:g} s; gave up") from None
        except http.HttpTooLarge as exc:
            raise SruClientError(str(exc)) from None  # names the URL and the limit
        except http.HttpBroken as exc:
            raise SruClientError(f"{url}: the response broke off ({exc.cause_name})") from None
        except (http.HttpUnreachable, http.HttpRequestFailed) as exc:
            raise SruClientError(f"{url}: cannot reach the server ({exc.cause_name}: {exc.cause})") from None
        if response.status != 200:
            raise SruClientError(f"{url}: the server answered HTTP {response.status}")
        return response.body

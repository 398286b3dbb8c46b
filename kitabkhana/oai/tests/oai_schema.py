"""The OAI-PMH 2.0 response schema (OAI-PMH.xsd) as checks on a parsed response.

The official XSD is not available offline here, so its content model is written out: element order
and cardinality per verb, attribute names, the UTCdatetime, setSpec, metadataPrefix and identifier
patterns, the error codes, and "a <metadata> holds one element of another namespace".
"""

from __future__ import annotations

import re

from lxml import etree

OAI = "http://www.openarchives.org/OAI/2.0/"
NS = {"o": OAI}
_UTC_SECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z")
_UTC_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?\Z")
_SET_SPEC = re.compile(r"([A-Za-z0-9\-_.!~*'()])+(:[A-Za-z0-9\-_.!~*'()]+)*\Z")
_PREFIX = re.compile(r"[A-Za-z0-9\-_.!~*'()]+\Z")
_ERROR_CODES = {"cannotDisseminateFormat", "idDoesNotExist", "badArgument", "badVerb", "noMetadataFormats",
                "noRecordsMatch", "badResumptionToken", "noSetHierarchy"}
_REQUEST_ATTRIBUTES = {"verb", "identifier", "metadataPrefix", "from", "until", "set", "resumptionToken"}


class SchemaError(AssertionError):
    pass


def _name(el: etree._Element) -> str:
    q = etree.QName(el)
    if q.namespace != OAI:
        raise SchemaError(f"{q.localname} is in namespace {q.namespace!r}, not the OAI-PMH one")
    return q.localname


def _children(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str)]


def _sequence(parent: etree._Element, model: list[tuple[str, int, int | None]]) -> dict[str, list[etree._Element]]:
    """Check children against (name, min, max) in order; return them by name."""
    children = _children(parent)
    found: dict[str, list[etree._Element]] = {}
    i = 0
    for name, low, high in model:
        got = []
        while i < len(children) and _name(children[i]) == name and (high is None or len(got) < high):
            got.append(children[i])
            i += 1
        if len(got) < low:
            raise SchemaError(f"<{_name(parent)}> needs at least {low} <{name}> (children: "
                              f"{[etree.QName(c).localname for c in children]})")
        found[name] = got
    if i != len(children):
        raise SchemaError(f"<{_name(parent)}> has an unexpected <{etree.QName(children[i]).localname}>")
    return found


def _text(el: etree._Element, pattern: re.Pattern[str] | None = None) -> str:
    if _children(el):
        raise SchemaError(f"<{_name(el)}> must hold text only")
    text = el.text or ""
    if pattern is not None and not pattern.match(text):
        raise SchemaError(f"<{_name(el)}> {text!r} does not match {pattern.pattern}")
    return text


def _attributes(el: etree._Element, allowed: set[str]) -> None:
    extra = set(el.attrib) - allowed
    if extra:
        raise SchemaError(f"<{_name(el)}> has attributes {extra} (allowed: {allowed})")


def _header(el: etree._Element) -> None:
    _attributes(el, {"status"})
    if el.get("status") not in (None, "deleted"):
        raise SchemaError(f"header status {el.get('status')!r}")
    parts = _sequence(el, [("identifier", 1, 1), ("datestamp", 1, 1), ("setSpec", 0, None)])
    _text(parts["identifier"][0], re.compile(r"\S+\Z"))
    _text(parts["datestamp"][0], _UTC_DATE)
    for s in parts["setSpec"]:
        _text(s, _SET_SPEC)


def _record(el: etree._Element) -> None:
    parts = _sequence(el, [("header", 1, 1), ("metadata", 0, 1), ("about", 0, None)])
    _header(parts["header"][0])
    if parts["metadata"]:
        content = _children(parts["metadata"][0])
        if len(content) != 1 or etree.QName(content[0]).namespace in (OAI, None):
            raise SchemaError("<metadata> must hold exactly one element of another namespace")
    if parts["header"][0].get("status") == "deleted" and parts["metadata"]:
        raise SchemaError("a deleted record has no <metadata>")


def _resumption_token(el: etree._Element) -> None:
    _attributes(el, {"expirationDate", "completeListSize", "cursor"})
    if "expirationDate" in el.attrib and not _UTC_SECONDS.match(el.get("expirationDate")):
        raise SchemaError(f"expirationDate {el.get('expirationDate')!r}")
    if "completeListSize" in el.attrib and int(el.get("completeListSize")) < 1:
        raise SchemaError("completeListSize must be a positive integer")
    if "cursor" in el.attrib and int(el.get("cursor")) < 0:
        raise SchemaError("cursor must be a non-negative integer")
    _text(el)


def _verb(el: etree._Element, verb: str) -> None:
    if verb == "Identify":
        parts = _sequence(el, [
            ("repositoryName", 1, 1), ("baseURL", 1, 1), ("protocolVersion", 1, 1), ("adminEmail", 1, None),
            ("earliestDatestamp", 1, 1), ("deletedRecord", 1, 1), ("granularity", 1, 1), ("compression", 0, None),
            ("description", 0, None),
        ])
        if _text(parts["protocolVersion"][0]) != "2.0":
            raise SchemaError("protocolVersion must be 2.0")
        if _text(parts["deletedRecord"][0]) not in ("no", "persistent", "transient"):
            raise SchemaError("deletedRecord")
        if _text(parts["granularity"][0]) not in ("YYYY-MM-DD", "YYYY-MM-DDThh:mm:ssZ"):
            raise SchemaError("granularity")
        _text(parts["earliestDatestamp"][0], _UTC_DATE)
        for email in parts["adminEmail"]:
            _text(email, re.compile(r"\S+@(\S+\.)+\S+\Z"))  # OAI-PMH.xsd emailType: the domain has a dot
        for d in parts["description"]:
            if len(_children(d)) != 1:
                raise SchemaError("<description> holds one element")
    elif verb == "ListMetadataFormats":
        for f in _sequence(el, [("metadataFormat", 1, None)])["metadataFormat"]:
            parts = _sequence(f, [("metadataPrefix", 1, 1), ("schema", 1, 1), ("metadataNamespace", 1, 1)])
            _text(parts["metadataPrefix"][0], _PREFIX)
    elif verb == "ListSets":
        parts = _sequence(el, [("set", 1, None), ("resumptionToken", 0, 1)])
        for s in parts["set"]:
            inner = _sequence(s, [("setSpec", 1, 1), ("setName", 1, 1), ("setDescription", 0, None)])
            _text(inner["setSpec"][0], _SET_SPEC)
    elif verb == "ListIdentifiers":
        parts = _sequence(el, [("header", 1, None), ("resumptionToken", 0, 1)])
        for h in parts["header"]:
            _header(h)
        for t in parts["resumptionToken"]:
            _resumption_token(t)
    elif verb == "ListRecords":
        parts = _sequence(el, [("record", 1, None), ("resumptionToken", 0, 1)])
        for r in parts["record"]:
            _record(r)
        for t in parts["resumptionToken"]:
            _resumption_token(t)
    elif verb == "GetRecord":
        _record(_sequence(el, [("record", 1, 1)])["record"][0])
    else:
        raise SchemaError(f"unknown verb element {verb}")


def validate(content: bytes) -> etree._Element:
    """Parse an OAI-PMH response and check it against the schema's content model; return the root."""
    root = etree.fromstring(content)
    if etree.QName(root) != etree.QName(OAI, "OAI-PMH"):
        raise SchemaError(f"root is {root.tag}")
    children = _children(root)
    if len(children) < 3:
        raise SchemaError("OAI-PMH needs responseDate, request and a verb element or errors")
    date, request, *rest = children
    if _name(date) != "responseDate":
        raise SchemaError("first child must be responseDate")
    _text(date, _UTC_SECONDS)
    if _name(request) != "request":
        raise SchemaError("second child must be request")
    _attributes(request, _REQUEST_ATTRIBUTES)
    names = [_name(c) for c in rest]
    if names[0] == "error":
        if set(names) != {"error"}:
            raise SchemaError("errors cannot be mixed with a verb element")
        for e in rest:
            _attributes(e, {"code"})
            if e.get("code") not in _ERROR_CODES:
                raise SchemaError(f"error code {e.get('code')!r}")
        return root
    if len(rest) != 1:
        raise SchemaError(f"one verb element expected, got {names}")
    if request.get("verb") != names[0]:
        raise SchemaError(f"request verb {request.get('verb')!r} but element {names[0]}")
    _verb(rest[0], names[0])
    return root

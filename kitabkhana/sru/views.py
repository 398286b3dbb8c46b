"""The SRU endpoint (/sru): searchRetrieve, explain and scan over HTTP GET (and form POST), SRU 1.1/1.2/2.0.

Version rules: a request naming ``version`` 1.1 or 1.2 is answered in that version and must name
its ``operation``; a request without ``version`` (or with 2.0) is SRU 2.0, where ``operation`` may
be left out: searchRetrieve when there is a ``query``, else explain. A bare /sru is explain.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from kitabkhana.catalogue.search_params import int_param
from kitabkhana.catalogue.selectors import record_marc
from kitabkhana.sru import cql
from kitabkhana.sru.diagnostics import SruDiagnostic
from kitabkhana.sru.formats import SCHEMAS, record_element, schema_for
from kitabkhana.sru.responses import Protocol, explain_response, protocol_for, scan_response, search_response
from kitabkhana.sru.selectors import (
    DEFAULT_RECORDS,
    DEFAULT_TERMS,
    MAX_RECORDS,
    MAX_TERMS,
    explain_record,
    sru_scan,
    sru_search,
)
from kitabkhana.sru.translate import cql_to_search, resolve_index

SUPPORTED_VERSIONS = ("1.1", "1.2", "2.0")
_COMMON = {"operation", "version", "stylesheet", "extraRequestData", "recordPacking", "recordXMLEscaping",
           "httpAccept", "renderedBy", "responseType"}
_PARAMETERS = {
    "searchRetrieve": _COMMON | {"query", "queryType", "startRecord", "maximumRecords", "recordSchema",
                                 "recordXPath", "resultSetTTL", "sortKeys", "facetLimit", "facetStart",
                                 "facetSort", "facetRangeField", "facetLowValue", "facetHighValue", "facetCount"},
    "explain": _COMMON,
    "scan": _COMMON | {"scanClause", "responsePosition", "maximumTerms"},
}


def _respond(protocol: Protocol, body: bytes) -> HttpResponse:
    response = HttpResponse(body, content_type=protocol.content_type)
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _number(params, name: str, default: int, *, minimum: int) -> int:
    try:
        return int_param(params, name, default, minimum)
    except ValueError as exc:
        raise SruDiagnostic(6, name, str(exc)) from None


def _check_parameters(params, operation: str) -> None:
    known = _PARAMETERS[operation]
    for name in params:
        if name not in known and not name.startswith("x-"):
            raise SruDiagnostic(8, name, f"{name} is not a parameter of {operation}")
    if params.get("stylesheet"):
        raise SruDiagnostic(110, params["stylesheet"], "this server does not apply stylesheets")


def _escaping(params, protocol: Protocol) -> str:
    """1.x: recordPacking xml|string; 2.0: recordXMLEscaping xml|string (recordPacking there is packed|unpacked)."""
    if protocol.is_v2:
        packing = params.get("recordPacking") or "packed"
        if packing != "packed":
            raise SruDiagnostic(71, packing, 'only recordPacking "packed" is supported')
        name = "recordXMLEscaping"
    else:
        name = "recordPacking"
    value = (params.get(name) or "xml").lower()
    if value not in ("xml", "string"):
        raise SruDiagnostic(71, value, f'{name} must be "xml" or "string"')
    return value


def _explain(request: HttpRequest, protocol: Protocol, params, diagnostics: list[SruDiagnostic]) -> HttpResponse:
    escaping = "xml"
    try:
        escaping = _escaping(params, protocol)
    except SruDiagnostic as exc:
        diagnostics.append(exc)
    host, _, port = request.get_host().partition(":")
    record = explain_record(host=host, port=port or ("443" if request.is_secure() else "80"),
                            database=request.path.strip("/") or "sru", title="Kitabkhana union catalogue")
    echo = [("version", None if protocol.is_v2 else protocol.version),
            ("recordXMLEscaping", params.get("recordXMLEscaping") if protocol.is_v2 else None),
            ("recordPacking", params.get("recordPacking"))]
    return _respond(protocol, explain_response(protocol, explain=record, escaping=escaping, echo=echo,
                                               diagnostics=diagnostics))


def _search(protocol: Protocol, params) -> bytes:
    query = params.get("query")
    echo = [("version", None if protocol.is_v2 else protocol.version), ("query", query),
            ("startRecord", params.get("startRecord")), ("maximumRecords", params.get("maximumRecords")),
            ("recordXMLEscaping", params.get("recordXMLEscaping") if protocol.is_v2 else None),
            ("recordPacking", params.get("recordPacking")), ("recordSchema", params.get("recordSchema"))]
    total: int | None = None
    records: list = []
    next_position = None
    escaping = "xml"
    try:
        _check_parameters(params, "searchRetrieve")
        if not query:
            raise SruDiagnostic(7, "query", "searchRetrieve needs a query")
        if (params.get("queryType") or "cql").lower() != "cql":
            raise SruDiagnostic(6, "queryType", "only CQL queries (queryType=cql) are supported")
        if params.get("recordXPath"):
            raise SruDiagnostic(72, params["recordXPath"], "recordXPath is not supported")
        if params.get("sortKeys"):
            raise SruDiagnostic(80, "sortKeys", "sort with CQL's sortBy clause (sortBy dc.title or dc.date)")
        start = _number(params, "startRecord", 1, minimum=1)
        maximum = min(_number(params, "maximumRecords", DEFAULT_RECORDS, minimum=0), MAX_RECORDS)
        escaping = _escaping(params, protocol)
        schema = schema_for(params.get("recordSchema"))
        if schema is None:
            names = ", ".join(s.name for s in SCHEMAS)
            raise SruDiagnostic(66, params["recordSchema"], f"record schemas are {names}")
        translation = cql_to_search(query)
        hits = sru_search(translation=translation, start=start, maximum=maximum)
        total = hits.total
        if start > total and not (total == 0 and start == 1):
            raise SruDiagnostic(61, str(start), f"the result has {total} records")
        for position, record in enumerate(hits.records, start=start):
            try:
                data = record_element(record_marc(record), record.flavour, schema)
            except SruDiagnostic as surrogate:
                data = surrogate
            records.append((schema.identifier, data, position))
        last = start + len(hits.records) - 1
        if hits.records and last < total:
            next_position = last + 1
    except SruDiagnostic as exc:
        return search_response(protocol, total=total, records=[], escaping=escaping, next_position=None,
                               echo=echo, diagnostics=[exc])
    return search_response(protocol, total=total, records=records, escaping=escaping, next_position=next_position,
                           echo=echo, diagnostics=[])


def _scan(protocol: Protocol, params) -> bytes:
    clause = params.get("scanClause")
    echo = [("version", None if protocol.is_v2 else protocol.version), ("scanClause", clause),
            ("responsePosition", params.get("responsePosition")), ("maximumTerms", params.get("maximumTerms"))]
    try:
        _check_parameters(params, "scan")
        if not clause:
            raise SruDiagnostic(7, "scanClause", "scan needs a scanClause such as dc.title=shah")
        try:
            parsed = cql.parse(clause)
        except cql.CqlError as exc:
            raise SruDiagnostic(exc.code, exc.details, str(exc)) from None
        root = parsed.root
        if not isinstance(root, cql.SearchClause) or parsed.sort_keys:
            raise SruDiagnostic(10, clause, "a scanClause is one index, relation and term (e.g. dc.title=shah)")
        # SRU scan: "Range relations, such as <, >=, within and so forth, are prohibited" (19).
        if root.relation not in ("=", "==", "exact", "adj", "all", "any"):
            raise SruDiagnostic(19, root.relation, "scan starts from a term: use =")
        index = resolve_index(root.index, root.context)
        maximum = min(_number(params, "maximumTerms", DEFAULT_TERMS, minimum=1), MAX_TERMS)
        position = _number(params, "responsePosition", 1, minimum=0)
        terms = sru_scan(index=index, term=cql.unescape(root.term), position=position, maximum=maximum)
    except SruDiagnostic as exc:
        return scan_response(protocol, terms=[], echo=echo, diagnostics=[exc])
    return scan_response(protocol, terms=terms, echo=echo, diagnostics=[])


@csrf_exempt  # a public, read-only protocol endpoint: POST carries the same parameters as GET
@require_http_methods(["GET", "HEAD", "POST"])
def sru_endpoint(request: HttpRequest) -> HttpResponse:
    params = request.GET if request.method != "POST" else request.POST
    params = {name: params.get(name, "") for name in params}
    version = params.get("version") or "2.0"
    protocol = protocol_for(version)
    if version not in SUPPORTED_VERSIONS:
        problem = SruDiagnostic(5, "2.0", f"version {version!r} is not supported; versions are "
                                f"{', '.join(SUPPORTED_VERSIONS)}")
        return _explain(request, protocol, params, [problem])
    operation = params.get("operation")
    if not operation:
        if not protocol.is_v2 and params:
            return _explain(request, protocol, params,
                            [SruDiagnostic(7, "operation", f"SRU {version} requests must name an operation")])
        operation = "searchRetrieve" if params.get("query") else "explain"
    if operation == "searchRetrieve":
        return _respond(protocol, _search(protocol, params))
    if operation == "scan":
        return _respond(protocol, _scan(protocol, params))
    if operation == "explain":
        diagnostics: list[SruDiagnostic] = []
        try:
            _check_parameters(params, "explain")
        except SruDiagnostic as exc:
            diagnostics.append(exc)
        return _explain(request, protocol, params, diagnostics)
    return _explain(request, protocol, params,
                    [SruDiagnostic(4, operation, "operations are searchRetrieve, explain and scan")])

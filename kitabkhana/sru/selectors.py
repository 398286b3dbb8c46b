"""Reads behind the SRU server: search (through the catalogue's search), scan and the explain record."""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field

import pymarc
from django.db.models import Count, Max
from lxml import etree

from kitabkhana.catalogue.models import Record
from kitabkhana.catalogue.search.base import MAX_RESULT_WINDOW, QuerySyntaxError, SearchRequest
from kitabkhana.catalogue.selectors import record_search
from kitabkhana.core.errors import ValidationFailed
from kitabkhana.marc.derive import RecordSummary, summarise
from kitabkhana.scripts.normalise import tokens
from kitabkhana.sru.client import SruClient, SruClientError, SruRecord, SruResult
from kitabkhana.sru.diagnostics import SruDiagnostic
from kitabkhana.sru.formats import SCHEMAS
from kitabkhana.sru.models import SruTarget
from kitabkhana.sru.responses import ScanTerm
from kitabkhana.sru.translate import CONTEXT_SETS, INDEXES, SCANNABLE, SORTABLE, Translation

__all__ = [
    "CATALOGUE_FLAVOUR", "DEFAULT_RECORDS", "MAX_RECORDS", "MAX_TERMS", "CopyHit", "CopySearch", "SruHits",
    "control_number_of", "copy_search", "explain_record", "partner_search", "simple_terms_to_cql", "sru_scan",
    "sru_search", "sru_targets", "target_client",
]

DEFAULT_RECORDS = 10
#: More than this is capped (SRU lets a server return fewer records than asked, never more).
MAX_RECORDS = 100
DEFAULT_TERMS = 20
MAX_TERMS = 100
ZEEREX = "http://explain.z3950.org/dtd/2.0/"


@dataclass
class SruHits:
    total: int
    records: list[Record]


def sru_search(*, translation: Translation, start: int, maximum: int) -> SruHits:
    """The records at positions ``start`` .. ``start + maximum - 1`` (1-based) of a translated query.

    One search entry stands for a whole cluster (the union catalogue's primary record), so
    positions count clusters, as in the OPAC.
    """
    if translation.matches_nothing:
        return SruHits(0, [])
    offset = start - 1
    if offset + maximum > MAX_RESULT_WINDOW:
        raise SruDiagnostic(61, str(start), f"records beyond position {MAX_RESULT_WINDOW} cannot be retrieved; "
                            "refine the query")
    # The index pages by page number: an aligned start is one page; any other start takes the
    # first offset + maximum hits (ids only) and drops the leading ones.
    if maximum and offset % maximum == 0:
        page, size, skip = offset // maximum + 1, maximum, 0
    else:
        page, size, skip = 1, offset + maximum, offset
    try:
        found = record_search(SearchRequest(q=translation.q, page=page, page_size=size, facets=(),
                                            sort=translation.sort))
    except QuerySyntaxError as exc:  # the translation writes only what the parser accepts
        raise SruDiagnostic(10, translation.q, str(exc)) from None
    return SruHits(found.total, found.records[skip:] if maximum else [])


# --------------------------------------------------------------------------- scan

_SCAN_FIELD = {"dc.title": "title", "dc.creator": "author"}
_scan_cache: dict[str, tuple[tuple, list[str], list[tuple[str, int]]]] = {}
_scan_lock = threading.Lock()


def _scan_list(field: str) -> tuple[list[str], list[tuple[str, int]]]:
    """Sorted folded keys and, for each, (display form, number of records), cached until records change."""
    live = Record.objects.filter(deleted_at__isnull=True, kind="bibliographic")
    stamp = tuple(live.aggregate(n=Count("id"), last=Max("updated_at")).values())
    with _scan_lock:
        cached = _scan_cache.get(field)
        if cached and cached[0] == stamp:
            return cached[1], cached[2]
    entries: dict[str, list] = {}
    for value in live.exclude(**{field: ""}).values_list(field, flat=True).iterator(chunk_size=5000):
        key = " ".join(tokens(value))
        if not key:
            continue
        entry = entries.get(key)
        if entry is None:
            entries[key] = [value.strip(), 1]
        else:
            entry[1] += 1
    keys = sorted(entries)
    values = [(entries[k][0], entries[k][1]) for k in keys]
    with _scan_lock:
        _scan_cache[field] = (stamp, keys, values)
    return keys, values


def sru_scan(*, index: str, term: str, position: int, maximum: int) -> list[ScanTerm]:
    """Terms of ``index`` in folded order around ``term``: ``term`` (or where it would be) at ``position``.

    Terms are whole headings (a record's title or main author) folded the way the index folds
    words, so "Šāhnāma" and "shahnama" are one term; each counts the live bibliographic records
    carrying it (records, not clusters).
    """
    if index not in SCANNABLE:
        raise SruDiagnostic(16, index, f"scan is available for {', '.join(SCANNABLE)}")
    if position < 0 or position > maximum + 1:
        raise SruDiagnostic(120, str(position), f"responsePosition must be between 0 and maximumTerms + 1 "
                            f"({maximum + 1})")
    keys, values = _scan_list(_SCAN_FIELD[index])
    key = " ".join(tokens(term))
    at = bisect.bisect_left(keys, key)
    if position > 0:
        first = max(0, at - (position - 1))
    else:  # 0: the term sits just before the list
        first = at + 1 if at < len(keys) and keys[at] == key else at
    chosen = list(range(first, min(len(keys), first + maximum)))
    out: list[ScanTerm] = []
    for i in chosen:
        # "The position of the term within the complete term list" (SRU scan), not within this response:
        # a client pages on until it meets "last".
        where = "only" if len(keys) == 1 else "first" if i == 0 else "last" if i == len(keys) - 1 else "inner"
        display, count = values[i]
        out.append(ScanTerm(value=keys[i], count=count, display=display, where=where))
    return out


# --------------------------------------------------------------------------- explain


def explain_record(*, host: str, port: str, database: str, title: str) -> etree._Element:
    """The ZeeRex 2.0 record describing this server: where it is, its indexes, schemas and limits."""
    z = f"{{{ZEEREX}}}"
    root = etree.Element(f"{z}explain", nsmap={None: ZEEREX})
    server = etree.SubElement(root, f"{z}serverInfo", protocol="SRU", version="1.2 2.0", transport="http",
                              method="GET")
    etree.SubElement(server, f"{z}host").text = host
    etree.SubElement(server, f"{z}port").text = port
    etree.SubElement(server, f"{z}database").text = database
    info = etree.SubElement(root, f"{z}databaseInfo")
    etree.SubElement(info, f"{z}title", lang="en", primary="true").text = title
    etree.SubElement(info, f"{z}description", lang="en", primary="true").text = (
        "The union catalogue of the national library and its network (MARC 21 and UNIMARC records; "
        "Persian, Arabic, Cyrillic and other scripts are folded for searching)."
    )
    index_info = etree.SubElement(root, f"{z}indexInfo")
    for prefix, uri in CONTEXT_SETS.items():
        etree.SubElement(index_info, f"{z}set", name=prefix, identifier=uri)
    relations = {
        "words": ("=", "==", "exact", "adj", "all", "any", "<>"), "date": ("=", "<", ">", "<=", ">=", "<>", "within"),
        "isbn": ("=", "==", "exact", "any", "<>"), "issn": ("=", "==", "exact", "any", "<>"),
        "identifier": ("=", "==", "exact"), "code": ("=", "==", "exact", "any"), "all": ("=",),
    }
    for name, (kind, _field) in INDEXES.items():
        prefix, local = name.split(".", 1)
        index = etree.SubElement(index_info, f"{z}index", search="true", scan=str(name in SCANNABLE).lower(),
                                 sort=str(name in SORTABLE).lower())
        etree.SubElement(index, f"{z}title", lang="en").text = local
        mapping = etree.SubElement(index, f"{z}map")
        etree.SubElement(mapping, f"{z}name", set=prefix).text = {"serverchoice": "serverChoice",
                                                                 "allrecords": "allRecords"}.get(local, local)
        config = etree.SubElement(index, f"{z}configInfo")
        for relation in relations[kind]:
            etree.SubElement(config, f"{z}supports", type="relation").text = relation
    schema_info = etree.SubElement(root, f"{z}schemaInfo")
    for schema in SCHEMAS:
        element = etree.SubElement(schema_info, f"{z}schema", identifier=schema.identifier, name=schema.name,
                                   retrieve="true", sort="false")
        etree.SubElement(element, f"{z}title", lang="en").text = schema.title
    config = etree.SubElement(root, f"{z}configInfo")
    etree.SubElement(config, f"{z}default", type="numberOfRecords").text = str(DEFAULT_RECORDS)
    etree.SubElement(config, f"{z}default", type="recordSchema").text = SCHEMAS[0].name
    etree.SubElement(config, f"{z}default", type="contextSet").text = "cql"
    etree.SubElement(config, f"{z}default", type="index").text = "cql.serverChoice"
    etree.SubElement(config, f"{z}default", type="relation").text = "="
    etree.SubElement(config, f"{z}setting", type="maximumRecords").text = str(MAX_RECORDS)
    etree.SubElement(config, f"{z}setting", type="maximumTerms").text = str(MAX_TERMS)
    return root


# --------------------------------------------------------------------------- copy cataloguing (partners' servers)

#: The catalogue's own flavour: copies arriving in UNIMARC are cross-walked to it.
CATALOGUE_FLAVOUR = "marc21"


def sru_targets():
    return SruTarget.objects.filter(enabled=True).select_related("institution")


@dataclass
class CopyHit:
    position: int
    record: pymarc.Record | None
    flavour: str | None
    summary: RecordSummary | None
    control_number: str
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class CopySearch:
    target: SruTarget
    query: str
    url: str
    total: int | None
    hits: list[CopyHit]
    diagnostics: list[str]
    next_position: int | None


def target_client(target: SruTarget, **limits) -> SruClient:
    return SruClient(target.url, version=target.version, record_schema=target.record_schema,
                     flavour=target.flavour or None, **limits)


def simple_terms_to_cql(terms: str) -> str:
    """Words typed by a cataloguer as one CQL term (quoted, escaped), which any SRU server accepts."""
    cleaned = " ".join(terms.split())
    if not cleaned:
        raise ValidationFailed("enter some words or a CQL query")
    return '"' + cleaned.replace("\\", "\\\\").replace('"', '\\"') + '"'


def control_number_of(record: pymarc.Record | None) -> str:
    field_001 = record.get("001") if record is not None else None
    return (field_001.data or "").strip() if field_001 is not None else ""


def _hit(item: SruRecord) -> CopyHit:
    summary = None
    error = item.error
    if item.record is not None and error is None:
        try:
            summary = summarise(item.record, item.flavour or CATALOGUE_FLAVOUR)
        except Exception as exc:  # noqa: BLE001 - a partner's broken record is shown, not fatal
            error = f"record {item.position} cannot be read: {exc}"
    return CopyHit(item.position, item.record, item.flavour, summary, control_number_of(item.record), error,
                   item.warnings)


def partner_search(target: SruTarget, query: str, start: int, maximum: int, client: SruClient | None) -> SruResult:
    if not target.enabled:
        raise ValidationFailed(f"the SRU target {target.name} is disabled")
    try:
        return (client or target_client(target)).search(query, start=start, maximum=maximum)
    except SruClientError as exc:
        raise ValidationFailed(f"{target.name}: {exc}") from None


def copy_search(*, target: SruTarget, query: str, start: int = 1, maximum: int = 10,
                client: SruClient | None = None) -> CopySearch:
    """Ask the partner's server; its diagnostics come back as messages for the cataloguer."""
    result = partner_search(target, query, start, maximum, client)
    return CopySearch(target, query, result.url, result.total, [_hit(r) for r in result.records],
                      [str(d) for d in result.diagnostics], result.next_position)



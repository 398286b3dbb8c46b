"""MARC export: stored records out as ISO 2709, MARCXML or MARC-in-JSON.

Policy (docs/catalogue.md, "Round trip"): records are stored as UTF-8, so export writes UTF-8 with
the character-set markers saying so (MARC 21 leader/09 'a', UNIMARC 100$a/26-29 '50  '); every
other field, indicator and subfield leaves exactly as it came in. 001/003/005 are not rewritten
by the import, so they too come back as they were.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import BinaryIO

from kitabkhana.catalogue.models import Record
from kitabkhana.catalogue.search.base import SearchRequest
from kitabkhana.catalogue.services.indexing import search_backend
from kitabkhana.marc.writer import iso2709_to_record, marcxml_collection, to_json, to_marcxml

EXPORT_FORMATS = ("iso2709", "marcxml", "json")
# format → (media type, file extension) for downloads of a single record
MEDIA_TYPES = {
    "iso2709": ("application/marc", "mrc"),
    "marcxml": ("application/marcxml+xml", "xml"),
    "json": ("application/json", "json"),
}
_PAGE = 100


def _ids_for_query(query: str) -> Iterator[int]:
    backend = search_backend()
    page = 1
    while True:
        response = backend.search(SearchRequest(q=query, page=page, page_size=_PAGE, facets=(), kind=None))
        yield from (hit.record_id for hit in response.hits)
        if page * _PAGE >= response.total or not response.hits:
            return
        page += 1


def _records(query: str | None, institution_code: str | None) -> Iterator[Record]:
    records = Record.objects.filter(deleted_at__isnull=True).only("pk", "marc", "flavour")
    if institution_code:
        records = records.filter(institution__code=institution_code)
    if not query:
        yield from records.order_by("pk").iterator(chunk_size=2000)
        return
    ids = list(_ids_for_query(query))
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        by_id = records.in_bulk(chunk)
        yield from (by_id[i] for i in chunk if i in by_id)


def records_export(
    *, out: BinaryIO, format: str = "iso2709", query: str | None = None, institution_code: str | None = None
) -> int:
    """Write matching records to ``out``; returns how many were written."""
    if format not in EXPORT_FORMATS:
        raise ValueError(f"export format {format!r}: expected one of {', '.join(EXPORT_FORMATS)}")
    records = _records(query, institution_code)
    if format == "iso2709":
        count = 0
        for record in records:
            out.write(bytes(record.marc))
            count += 1
        return count
    if format == "marcxml":
        return marcxml_collection((iso2709_to_record(bytes(r.marc)) for r in records), out)
    count = 0
    out.write(b"[")
    for record in records:
        out.write(b",\n" if count else b"\n")
        out.write(json.dumps(to_json(iso2709_to_record(bytes(record.marc))), ensure_ascii=False).encode())
        count += 1
    out.write(b"\n]\n")
    return count


def record_serialise(record: Record, format: str) -> bytes:
    """One stored record in an export format (the stored ISO 2709 bytes are already the export form)."""
    if format not in EXPORT_FORMATS:
        raise ValueError(f"export format {format!r}: expected one of {', '.join(EXPORT_FORMATS)}")
    if format == "iso2709":
        return bytes(record.marc)
    marc = iso2709_to_record(bytes(record.marc))
    if format == "marcxml":
        return b'<?xml version="1.0" encoding="UTF-8"?>\n' + to_marcxml(marc)
    return json.dumps(to_json(marc), ensure_ascii=False, indent=1).encode()

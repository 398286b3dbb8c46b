"""Keeping the search index in step with the database (the database stays the source of truth)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator

from django.conf import settings

from kitabkhana.catalogue.models import Record
from kitabkhana.catalogue.search.base import IndexDocument, SearchBackend
from kitabkhana.core.backends import load_backend
from kitabkhana.marc.derive import RecordSummary, summarise
from kitabkhana.marc.writer import iso2709_to_record

log = logging.getLogger(__name__)
_CHUNK = 2000


def search_backend() -> SearchBackend:
    return load_backend(settings.KITABKHANA["SEARCH_BACKEND"], str(settings.KITABKHANA["SEARCH_INDEX_DIR"]))


def index_document(*, record_id: int, kind: str, summary: RecordSummary, institution_codes: list[str]) -> IndexDocument:
    s = summary
    extra = [s.publisher, s.place, s.edition, s.date_text, s.control_number, *s.series, *s.notes, *s.other_numbers]
    return IndexDocument(
        record_id=record_id,
        kind=kind,
        title=[t for t in [s.title, s.title_original, *s.titles] if t],
        author=list(s.authors),
        subject=list(s.subjects),
        isbn=list(s.isbns),
        issn=list(s.issns),
        year=s.year,
        language=list(s.languages),
        institution=institution_codes,
        material_type=s.material_type,
        text=" ".join(x for x in extra if x),
        sort_title=s.title,
    )


def _documents(records: Iterable[Record]) -> Iterator[IndexDocument]:
    for record in records:
        summary = summarise(iso2709_to_record(bytes(record.marc)), record.flavour)
        codes = sorted({record.institution.code, *(h.institution.code for h in record.holdings.all())})
        yield index_document(record_id=record.pk, kind=record.kind, summary=summary, institution_codes=codes)


def _records(ids: list[int]):
    return (
        Record.objects.filter(pk__in=ids)
        .select_related("institution")
        .prefetch_related("holdings__institution")
        .order_by("pk")
    )


def records_index(*, record_ids: Iterable[int]) -> int:
    """Bring the index up to date for these records (fetched afresh, so it is safe to run twice)."""
    ids = list(record_ids)
    backend = search_backend()
    done = 0
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        live = list(_records(chunk).filter(deleted_at__isnull=True))
        backend.upsert(_documents(live))
        gone = set(chunk) - {r.pk for r in live}
        if gone:
            backend.delete(gone)
        Record.objects.filter(pk__in=chunk).update(needs_index=False)
        done += len(chunk)
    return done


def records_index_pending(*, progress=None) -> int:
    """Index what the outbox says the index lacks (after a crash, or an index that was unavailable)."""
    total = 0
    while True:
        ids = list(Record.objects.filter(needs_index=True).order_by("pk").values_list("pk", flat=True)[:_CHUNK])
        if not ids:
            return total
        total += records_index(record_ids=ids)
        if progress:
            progress(total)


def index_rebuild(*, progress=None) -> int:
    """Clear the index and rebuild it from every live record in the database."""
    backend = search_backend()
    backend.clear()
    total = 0
    last = 0
    with backend.bulk() as writer:
        while True:
            ids = list(
                Record.objects.filter(pk__gt=last, deleted_at__isnull=True).order_by("pk").values_list("pk", flat=True)[
                    :_CHUNK
                ]
            )
            if not ids:
                break
            writer.upsert(_documents(_records(ids)))
            writer.commit()
            Record.objects.filter(pk__in=ids).update(needs_index=False)
            last = ids[-1]
            total += len(ids)
            if progress:
                progress(total)
    return total


def index_after_commit(record_ids: list[int]) -> None:
    """Called on commit by the record services; a failure leaves the outbox flag set, not a lost change."""
    try:
        records_index(record_ids=record_ids)
    except Exception:
        log.exception("indexing records %s failed; they stay pending for `kitabkhana reindex --pending`", record_ids)


def index_missing() -> bool:
    """True when the index is empty while the database holds live records.

    That is what an index replaced after a schema or engine upgrade looks like (the backend starts
    an empty one rather than fail); records are not flagged for it, so the outbox cannot repair it.
    """
    return search_backend().count() == 0 and Record.objects.filter(deleted_at__isnull=True).exists()

"""Keeping the search index in step with the database (the database stays the source of truth)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db.models import Min

from kitabkhana.catalogue.models import Record
from kitabkhana.catalogue.search.base import IndexDocument, IndexWriter, SearchBackend
from kitabkhana.core.backends import load_backend
from kitabkhana.marc.derive import RecordSummary, summarise
from kitabkhana.marc.writer import iso2709_to_record

log = logging.getLogger(__name__)
_CHUNK = 2000

# Apps above the catalogue add words to a record's index entry (the OCR text of its digitized book) without
# the catalogue knowing them: each source maps record ids to text.
TextSource = Callable[[list[int]], dict[int, str]]
_text_sources: list[TextSource] = []


def index_text_source_register(source: TextSource) -> None:
    """Add ``source(record_ids) -> {record_id: text}`` to what a record's entry is found by (once per source)."""
    if source not in _text_sources:
        _text_sources.append(source)


def index_text_add(documents: list[IndexDocument]) -> list[IndexDocument]:
    """Add what the registered text sources say of these records to their entries' free text (in place).

    Every path that writes entries goes through here (a batch import, a reindex, a cluster), so an update of a
    record never drops the words another app gave it.
    """
    if not _text_sources or not documents:
        return documents
    ids = [d.record_id for d in documents]
    by_id = {d.record_id: d for d in documents}
    for source in _text_sources:
        for record_id, text in source(ids).items():
            document = by_id.get(record_id)
            if text and document is not None:
                document.text = f"{document.text} {text}".strip()
    return documents


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


def _document(record: Record) -> IndexDocument:
    summary = summarise(iso2709_to_record(bytes(record.marc)), record.flavour)
    codes = sorted({record.institution.code, *(h.institution.code for h in record.holdings.all())})
    return index_document(record_id=record.pk, kind=record.kind, summary=summary, institution_codes=codes)


def _cluster_document(primary: IndexDocument, others: list[IndexDocument]) -> IndexDocument:
    """One entry for a whole cluster: found by any member's words, held by every member's institution."""
    def union(values: Iterable[list[str]]) -> list[str]:
        return list(dict.fromkeys(v for vs in values for v in vs))

    docs = [primary, *others]
    return IndexDocument(
        record_id=primary.record_id, kind=primary.kind,
        title=union(d.title for d in docs), author=union(d.author for d in docs),
        subject=union(d.subject for d in docs), isbn=union(d.isbn for d in docs), issn=union(d.issn for d in docs),
        year=primary.year if primary.year is not None else next((d.year for d in others if d.year), None),
        language=union(d.language for d in docs), institution=sorted(set(union(d.institution for d in docs))),
        material_type=primary.material_type, text=" ".join(d.text for d in docs if d.text),
        sort_title=primary.sort_title,
    )


def cluster_primary_ids(cluster_ids: Iterable[int]) -> dict[int, int]:
    """cluster id → the record that stands for it in search results (its oldest live member)."""
    rows = (Record.objects.filter(cluster_id__in=list(cluster_ids), deleted_at__isnull=True)
            .values("cluster_id").annotate(primary=Min("id")))
    return {row["cluster_id"]: row["primary"] for row in rows}


def _index_changes(records: list[Record]) -> tuple[list[IndexDocument], set[int]]:
    """Documents to upsert and ids to remove, for these live records, with clusters indexed once."""
    docs: list[IndexDocument] = []
    remove: set[int] = set()
    clustered: dict[int, list[Record]] = {}
    for record in records:
        if record.cluster_id is None:
            docs.append(_document(record))
        else:
            clustered.setdefault(record.cluster_id, []).append(record)
    index_text_add(docs)
    if clustered:
        primaries = cluster_primary_ids(clustered)
        members = _records_query().filter(cluster_id__in=list(clustered), deleted_at__isnull=True)
        by_cluster: dict[int, list[Record]] = {}
        for member in members:
            by_cluster.setdefault(member.cluster_id, []).append(member)
        member_docs_of = {cluster_id: index_text_add([_document(m) for m in group])
                          for cluster_id, group in by_cluster.items()}
        for cluster_id, group in by_cluster.items():
            primary_id = primaries[cluster_id]
            remove.update(m.pk for m in group if m.pk != primary_id)
            member_docs = {d.record_id: d for d in member_docs_of[cluster_id]}
            primary = member_docs.pop(primary_id)
            docs.append(_cluster_document(primary, list(member_docs.values())) if member_docs else primary)
    return docs, remove


def _records_query():
    return Record.objects.select_related("institution").prefetch_related("holdings__institution").order_by("pk")


def _records(ids: list[int]):
    return _records_query().filter(pk__in=ids)


def records_index(*, record_ids: Iterable[int], writer: IndexWriter | None = None) -> int:
    """Bring the index up to date for these records (fetched afresh, so it is safe to run twice).

    ``writer``: an open bulk writer to use (an import holds one); otherwise the backend is used directly.
    """
    ids = list(record_ids)
    target = writer or search_backend()
    done = 0
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        live = list(_records(chunk).filter(deleted_at__isnull=True))
        docs, remove = _index_changes(live)
        target.upsert(docs)
        gone = (set(chunk) - {r.pk for r in live}) | remove
        if gone:
            target.delete(gone)
        Record.objects.filter(pk__in=chunk).update(needs_index=False)
        done += len(chunk)
    if writer is not None:
        writer.commit()
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
            docs, remove = _index_changes(list(_records(ids)))
            writer.upsert(docs)
            if remove:
                writer.delete(remove)
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

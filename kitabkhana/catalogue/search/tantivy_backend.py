"""The embedded search engine: tantivy (PyPI ``tantivy``), files under the data directory, no server.

How text gets in: tantivy-py cannot call Python token filters, so every text value is folded and
split by :func:`kitabkhana.scripts.normalise.tokens` here, joined with single spaces, and indexed
with tantivy's ``whitespace`` tokenizer, which splits on those spaces and changes nothing else
(no lowercasing, no length limit). The query side (``query.py``) hands over tokens from the same
function, so index and query cannot drift apart. Positions are kept for phrases.

Speed (see ``bench/`` and decision 0002): the Index, and the reader behind ``index.searcher()``,
live as long as the backend object (one per process, see ``core.backends``). Facets and the total
come from one aggregation pass over fast fields; the top hits come from a second pass that does
not count, so tantivy can skip blocks that cannot reach the top (block-max WAND). The only
per-document value read back is ``record_id``, from its fast field; nothing else is stored.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import tantivy

from kitabkhana.catalogue.search.base import (
    FACETS,
    KINDS,
    MAX_RESULT_WINDOW,
    SORTS,
    Hit,
    IndexDocument,
    QuerySyntaxError,
    SearchIndexBusy,
    SearchRequest,
    SearchResponse,
)
from kitabkhana.catalogue.search.query import (
    AllOf,
    AnyOf,
    Exact,
    MatchAll,
    Node,
    Words,
    YearRange,
    isbn_key,
    issn_key,
    parse_filters,
    parse_query,
)
from kitabkhana.scripts.normalise import tokens

__all__ = ["TantivySearchBackend", "TantivyIndexWriter"]

log = logging.getLogger(__name__)

#: A word without a field is looked for in each of these; a title match counts most.
TEXT_BOOSTS: dict[str, float] = {"title": 4.0, "author": 2.5, "subject": 1.5, "text": 1.0}
#: Query/filter name → schema field holding whole values.
_EXACT_FIELD = {
    "isbn": "isbn", "issn": "issn", "language": "language", "institution": "institution",
    "material_type": "material_type", "subject": "subject_facet", "kind": "kind",
}
#: Facet → (single-valued columns, multi-valued column or None). tantivy counts a dense
#: single-valued column about six times faster than a multi-valued one, so a record's first
#: value(s) go to single-valued columns that every document fills ("" when it has no value,
#: dropped from the counts) and only further values, which few records have, to a multi-valued
#: column; the columns' counts are added up. Years are counted as text: ordinals count faster.
_FACET_COLUMNS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "language": (("language_1",), "language_n"),
    "year": (("year_1",), None),
    "material_type": (("material_type_1",), None),
    "institution": (("institution_1",), "institution_n"),
    "subject": (("subject_1", "subject_2"), "subject_n"),
}
_NO_VALUE = ""
_TOTAL_COLUMN = "material_type_1"
_SORT = {
    "year_desc": ("year", tantivy.Order.Desc),
    "year_asc": ("year", tantivy.Order.Asc),
    "title": ("sort_title", tantivy.Order.Asc),
}
_SORT_TITLE_LENGTH = 120  # enough to order by; keeps the fast-field dictionary small
_BULK_HEAP = 256_000_000
_SMALL_HEAP = 50_000_000
# Facets over a result set larger than this are counted on the 1/_SAMPLE_BUCKETS of it whose
# record_id % _SAMPLE_BUCKETS == 0, and scaled up (flagged as estimates). Counting five facets over
# 600 000 matches costs ~70 ms on a 2-core machine, a sixteenth of them ~8 ms; a reader choosing a
# facet on such a set wants its order of magnitude, and gets the exact count once they narrow.
_SAMPLE_ABOVE = 50_000
_SAMPLE_BUCKETS = 16


def build_schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_integer_field("record_id", stored=True, indexed=True, fast=True)
    b.add_text_field("kind", tokenizer_name="raw", index_option="basic")
    for name in TEXT_BOOSTS:
        b.add_text_field(name, tokenizer_name="whitespace", index_option="position")
    b.add_text_field("isbn", tokenizer_name="raw", index_option="basic")
    b.add_text_field("issn", tokenizer_name="raw", index_option="basic")
    b.add_integer_field("year", indexed=True, fast=True)
    b.add_integer_field("sample", indexed=True)
    # Whole values for filters: every value of the record, raw tokenizer.
    for name in ("language", "institution", "material_type", "subject_facet"):
        b.add_text_field(name, tokenizer_name="raw", index_option="basic")
    # Columns for facet counts (see _FACET_COLUMNS).
    for single, multi in _FACET_COLUMNS.values():
        for name in (*single, *([multi] if multi else [])):
            b.add_text_field(name, tokenizer_name="raw", index_option="basic", fast=True)
    b.add_text_field("sort_title", tokenizer_name="raw", index_option="basic", fast=True)
    return b.build()


def _tokenised(values: Iterable[str]) -> list[str]:
    out = []
    for value in values:
        if value:
            joined = " ".join(tokens(value))
            if joined:
                out.append(joined)
    return out


def _values(values: Iterable[str]) -> list[str]:
    return [v for v in dict.fromkeys(v.strip() for v in values if v) if v]


def _document(doc: IndexDocument) -> tantivy.Document:
    languages, institutions, subjects = _values(doc.language), _values(doc.institution), _values(doc.subject)
    fields: dict[str, list] = {
        "record_id": [doc.record_id],
        "sample": [doc.record_id % _SAMPLE_BUCKETS],
        "kind": [doc.kind],
        "title": _tokenised(doc.title),
        "author": _tokenised(doc.author),
        "subject": _tokenised(doc.subject),
        "text": _tokenised([doc.text]),
        "isbn": sorted({isbn_key(v) for v in doc.isbn if v and v.strip()}),
        "issn": sorted({issn_key(v) for v in doc.issn if v and v.strip()}),
        "language": languages,
        "institution": institutions,
        "subject_facet": subjects,
        # Untitled records sort last rather than first.
        "sort_title": [" ".join(tokens(doc.sort_title or (doc.title[0] if doc.title else "")))[:_SORT_TITLE_LENGTH]
                       or "\uffff"],
    }
    if doc.material_type:
        fields["material_type"] = [doc.material_type]
    if doc.year is not None:
        fields["year"] = [int(doc.year)]
    facet_values = {
        "language": languages, "institution": institutions, "subject": subjects,
        "material_type": _values([doc.material_type]), "year": [str(doc.year)] if doc.year is not None else [],
    }
    for name, (single, multi) in _FACET_COLUMNS.items():
        values = facet_values[name]
        for i, column in enumerate(single):
            fields[column] = [values[i] if i < len(values) else _NO_VALUE]
        if multi and len(values) > len(single):
            fields[multi] = values[len(single):]
    return tantivy.Document(**{k: v for k, v in fields.items() if v})


class TantivyIndexWriter:
    """A held index writer (the index lock stays taken until the backend lets it go)."""

    def __init__(self, backend: TantivySearchBackend, writer: tantivy.IndexWriter) -> None:
        self._backend = backend
        self._writer = writer

    def upsert(self, docs: Iterable[IndexDocument]) -> None:
        writer = self._writer
        for doc in docs:
            # Deletes only touch documents added before them, so delete-then-add replaces.
            writer.delete_documents_by_term("record_id", doc.record_id)
            writer.add_document(_document(doc))

    def delete(self, record_ids: Iterable[int]) -> None:
        for record_id in record_ids:
            self._writer.delete_documents_by_term("record_id", int(record_id))

    def clear(self) -> None:
        self._writer.delete_all_documents()

    def commit(self) -> None:
        self._writer.commit()
        self._backend._reload()

    def rollback(self) -> None:
        self._writer.rollback()

    def release(self) -> None:
        # Waits for background merges, then drops the writer and with it the lock file.
        self._writer.wait_merging_threads()


@contextmanager
def _committed(writer: TantivyIndexWriter) -> Iterator[TantivyIndexWriter]:
    """Commit what the block wrote, or roll it back if the block raises."""
    try:
        yield writer
        writer.commit()
    except BaseException:
        writer.rollback()
        raise


class TantivySearchBackend:
    """The default SearchBackend: an embedded tantivy index in the directory ``path``.

    One instance per process (``core.backends.load_backend`` caches it). Only one process may
    write at a time; a writer that finds the index locked retries for ``lock_timeout`` seconds,
    then raises SearchIndexBusy (indexing services leave the records flagged for later).
    """

    def __init__(self, path: str, *, lock_timeout: float = 5.0, bulk_heap: int = _BULK_HEAP) -> None:
        self.path = str(path)
        self.lock_timeout = lock_timeout
        self.bulk_heap = bulk_heap
        self._schema = build_schema()
        self._index: tantivy.Index | None = None
        self._bulk: TantivyIndexWriter | None = None
        self._lock = threading.RLock()
        self._open()

    # -- opening -------------------------------------------------------------------------------

    def _open(self) -> tantivy.Index:
        with self._lock:
            if self._index is not None:
                return self._index
            Path(self.path).mkdir(parents=True, exist_ok=True)
            try:
                if tantivy.Index.exists(self.path) and not tantivy.Index.is_compatible(self.path):
                    raise ValueError("index written by an incompatible tantivy version")
                self._index = tantivy.Index(self._schema, self.path, reuse=True)
            except (ValueError, OSError) as exc:
                # The index is derived data: an index from an older schema or tantivy version is
                # replaced by an empty one, and `kitabkhana reindex` fills it from the database.
                log.warning("search index at %s cannot be used (%s); starting an empty one — "
                            "run `kitabkhana reindex`", self.path, exc)
                self._remove_index_files()
                self._index = tantivy.Index(self._schema, self.path, reuse=False)
            return self._index

    def _remove_index_files(self) -> None:
        root = Path(self.path)
        if not (root / "meta.json").exists():
            return
        for entry in root.iterdir():
            if entry.is_file() and entry.name != ".tantivy-writer.lock":
                entry.unlink()

    @property
    def index(self) -> tantivy.Index:
        return self._index or self._open()

    def _reload(self) -> None:
        # The reader also follows commits by other processes on its own (OnCommit policy);
        # reloading here makes our own commit visible before the next line runs.
        self.index.reload()

    def _acquire_writer(self, heap_size: int, num_threads: int) -> tantivy.IndexWriter:
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.05
        while True:
            try:
                return self.index.writer(heap_size=heap_size, num_threads=num_threads)
            except ValueError as exc:
                if "LockBusy" not in str(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise SearchIndexBusy(
                        f"the search index at {self.path} is being written by another process "
                        f"(an import or a reindex?); gave up after {self.lock_timeout:g} s"
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    @contextmanager
    def _writer(self) -> Iterator[TantivyIndexWriter]:
        """The bulk writer if this process has one open, else a short-lived one holding the lock briefly."""
        with self._lock:
            if self._bulk is not None:
                yield self._bulk
                self._bulk.commit()
                return
            writer = TantivyIndexWriter(self, self._acquire_writer(_SMALL_HEAP, 1))
            try:
                with _committed(writer):
                    yield writer
            finally:
                writer.release()

    # -- writing -------------------------------------------------------------------------------

    def upsert(self, docs: Iterable[IndexDocument]) -> None:
        with self._writer() as writer:
            writer.upsert(docs)

    def delete(self, record_ids: Iterable[int]) -> None:
        with self._writer() as writer:
            writer.delete(record_ids)

    def clear(self) -> None:
        with self._writer() as writer:
            writer.clear()

    @contextmanager
    def bulk(self) -> Iterator[TantivyIndexWriter]:
        """One writer with a large heap for imports and rebuilds; commit() publishes, leaving commits.

        If the block raises, what was not yet committed is rolled back (the records stay flagged
        ``needs_index`` in the database and are indexed on the next run).
        """
        with self._lock:
            if self._bulk is not None:
                raise RuntimeError("a bulk writer is already open on this search index")
            writer = TantivyIndexWriter(self, self._acquire_writer(self.bulk_heap, 0))
            self._bulk = writer
        try:
            with _committed(writer):
                yield writer
        finally:
            with self._lock:
                self._bulk = None
                writer.release()

    def close(self) -> None:
        with self._lock:
            if self._bulk is not None:
                self._bulk.release()
                self._bulk = None
            self._index = None

    # -- reading -------------------------------------------------------------------------------

    def count(self) -> int:
        return self.index.searcher().num_docs

    def search(self, request: SearchRequest) -> SearchResponse:
        if request.sort not in SORTS:
            raise QuerySyntaxError(f"sort must be one of {', '.join(SORTS)}, got {request.sort!r}")
        unknown = [f for f in request.facets if f not in FACETS]
        if unknown:
            raise QuerySyntaxError(f"unknown facet {unknown[0]!r}; facets are {', '.join(FACETS)}")
        page, page_size = max(1, int(request.page)), max(0, int(request.page_size))
        query = self._request_query(request)
        searcher = self.index.searcher()
        offset = (page - 1) * page_size
        limit = min(page_size, max(0, MAX_RESULT_WINDOW - offset))

        # One aggregation pass gives the facets and the total: material_type_1 holds exactly one
        # value per document ("" for none), so its buckets plus the remainder count every match.
        # This beats count=True on the hits pass, which would also stop tantivy skipping blocks.
        size = max(1, request.facet_size)
        aggregations = self._aggregations(request.facets, size)
        result = searcher.aggregate(query, {_TOTAL_COLUMN: aggregations[_TOTAL_COLUMN]}
                                    if request.facets else aggregations)
        total = self._total(result)
        scale = 1.0
        estimated = bool(request.facets) and total > _SAMPLE_ABOVE
        if estimated:
            sample = tantivy.Query.boolean_query([
                (tantivy.Occur.Must, query),
                (tantivy.Occur.Must, tantivy.Query.term_query(self._schema, "sample", 0)),
            ])
            result = searcher.aggregate(sample, aggregations)
            scale = total / max(1, self._total(result))
        elif request.facets:
            result = searcher.aggregate(query, aggregations)
        facets: dict[str, list[tuple[str, int]]] = {}
        estimated_facets = set(request.facets) if estimated else set()
        for name in request.facets:
            facets[name], exact = self._buckets([result.get(c) for c in self._facet_columns(name)], size, scale)
            if not exact:
                estimated_facets.add(name)
        found = searcher.search(query, limit, count=False, offset=offset, **self._order(request)) if limit else None

        hits: list[Hit] = []
        if found is not None and found.hits:
            ids = searcher.fast_field_values("record_id", [address for _, address in found.hits])
            relevance = request.sort == "relevance"
            hits = [Hit(int(rid), float(key) if relevance else None)
                    for (key, _), rid in zip(found.hits, ids, strict=True) if rid is not None]
        return SearchResponse(total=total, hits=hits, facets=facets, page=page, page_size=page_size,
                              estimated_facets=frozenset(estimated_facets))

    def _aggregations(self, facets: Iterable[str], size: int) -> dict[str, dict]:
        aggregations: dict[str, dict] = {_TOTAL_COLUMN: {"terms": {"field": _TOTAL_COLUMN, "size": size + 1}}}
        for name in facets:
            columns = self._facet_columns(name)
            # Split columns are summed, so each must reach deeper than the final list; +1 for "".
            column_size = size + 1 if len(columns) == 1 else size * 2 + 1
            for column in columns:
                aggregations[column] = {"terms": {"field": column, "size": column_size}}
        return aggregations

    @staticmethod
    def _total(result: dict) -> int:
        counted = result[_TOTAL_COLUMN]
        return sum(int(b["doc_count"]) for b in counted["buckets"]) + int(counted.get("sum_other_doc_count", 0))

    @staticmethod
    def _order(request: SearchRequest) -> dict:
        if request.sort == "relevance":
            return {}
        field, order = _SORT[request.sort]
        return {"order_by_field": field, "order": order}

    @staticmethod
    def _facet_columns(name: str) -> tuple[str, ...]:
        single, multi = _FACET_COLUMNS[name]
        return (*single, multi) if multi else single

    @staticmethod
    def _buckets(results: list[dict | None], size: int, scale: float = 1.0) -> tuple[list[tuple[str, int]], bool]:
        """Top values summed over a facet's columns, and whether those counts are exact.

        A value outside one column's top list loses that column's count; it can lose at most the
        smallest count that column listed, so the counts are exact when no cut-off column listed any.
        """
        counts: dict[str, int] = {}
        lost = 0
        for result in results:
            buckets = (result or {}).get("buckets", [])
            for bucket in buckets:
                key = str(bucket["key"])
                if key == _NO_VALUE:
                    continue
                counts[key] = counts.get(key, 0) + int(bucket["doc_count"])
            if len(results) > 1 and buckets and int((result or {}).get("sum_other_doc_count", 0)):
                lost += int(buckets[-1]["doc_count"])
        if scale != 1.0:
            counts = {key: max(1, round(count * scale)) for key, count in counts.items()}
        return sorted(counts.items(), key=lambda v: (-v[1], v[0]))[:size], lost == 0

    # -- query tree → tantivy ------------------------------------------------------------------

    def _request_query(self, request: SearchRequest) -> tantivy.Query:
        main = self._query(parse_query(request.q))
        # Filters narrow the set without changing the ranking.
        clauses = [(tantivy.Occur.Must, tantivy.Query.const_score_query(self._query(node), 0.0))
                   for node in parse_filters(request.filters)]
        if request.kind is not None:
            if request.kind not in KINDS:
                raise QuerySyntaxError(f"kind must be one of {', '.join(KINDS)} or None, got {request.kind!r}")
            # "Not the other kinds" rather than "this kind": bibliographic records are the vast
            # majority, and intersecting with a posting list that long doubles the work, while
            # skipping the few authority records costs next to nothing.
            others = [k for k in KINDS if k != request.kind]
            clauses.append((tantivy.Occur.MustNot, tantivy.Query.term_set_query(self._schema, "kind", others)))
        if not clauses:
            return main
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, main), *clauses])

    def _query(self, node: Node) -> tantivy.Query:
        schema = self._schema
        Q = tantivy.Query
        if isinstance(node, MatchAll):
            return Q.all_query()
        if isinstance(node, Words):
            if node.field is not None:
                return self._words(node.field, node.tokens)
            return Q.boolean_query([
                (tantivy.Occur.Should, Q.boost_query(self._words(name, node.tokens), boost))
                for name, boost in TEXT_BOOSTS.items()
            ])
        if isinstance(node, Exact):
            return Q.term_set_query(schema, _EXACT_FIELD[node.field], list(node.values))
        if isinstance(node, YearRange):
            return Q.range_query(schema, "year", tantivy.FieldType.Integer, node.low, node.high)
        if isinstance(node, AnyOf):
            return Q.boolean_query([(tantivy.Occur.Should, self._query(o)) for o in node.options])
        if isinstance(node, AllOf):
            clauses = [(tantivy.Occur.Must, self._query(n)) for n in node.required]
            clauses += [(tantivy.Occur.MustNot, self._query(n)) for n in node.excluded]
            return Q.boolean_query(clauses)
        raise TypeError(f"unknown query node {node!r}")

    def _words(self, field: str, words: tuple[str, ...]) -> tantivy.Query:
        if len(words) == 1:
            return tantivy.Query.term_query(self._schema, field, words[0])
        return tantivy.Query.phrase_query(self._schema, field, list(words))


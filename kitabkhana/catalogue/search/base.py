"""Value types and the Protocol shared by the search engines (no Django, no engine imports)."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "FACETS", "FIELDS", "KINDS", "SORTS", "Hit", "IndexDocument", "IndexWriter", "QuerySyntaxError",
    "SearchBackend", "SearchIndexBusy", "SearchRequest", "SearchResponse",
]

#: Facets the index can count, in display order; also accepted as filters.
FACETS: tuple[str, ...] = ("language", "year", "material_type", "institution", "subject")
#: Names usable as ``field:value`` in a query, and as filter names.
FIELDS: tuple[str, ...] = (
    "title", "author", "subject", "isbn", "issn", "year", "language", "institution", "material_type",
)
SORTS: tuple[str, ...] = ("relevance", "year_desc", "year_asc", "title")
KINDS: tuple[str, ...] = ("bibliographic", "authority")
#: The deepest hit any backend pages to: readers refine long before; deeper paging costs memory.
MAX_RESULT_WINDOW = 100_000


class QuerySyntaxError(ValueError):
    """The reader's query (or a filter) cannot be understood; the message says what and where."""


class SearchIndexBusy(RuntimeError):
    """Another process holds the index for writing (an import or a rebuild) and did not let go in time."""


@dataclass
class IndexDocument:
    """What the index knows about one record. Values are as catalogued; the engine folds them."""

    record_id: int
    kind: str  # "bibliographic" | "authority"
    title: list[str]
    author: list[str]
    subject: list[str]
    isbn: list[str]
    issn: list[str]
    year: int | None
    language: list[str]
    institution: list[str]
    material_type: str
    text: str
    sort_title: str


@dataclass
class SearchRequest:
    q: str = ""
    #: facet or field name → values: OR within one name, AND across names. ``year`` takes
    #: ``"1990"`` or a range ``"1990-2000"``.
    filters: dict[str, list[str]] = field(default_factory=dict)
    page: int = 1
    page_size: int = 20
    facets: tuple[str, ...] = FACETS
    facet_size: int = 10
    sort: str = "relevance"  # one of SORTS
    kind: str | None = "bibliographic"  # None: every kind


@dataclass(frozen=True)
class Hit:
    record_id: int
    score: float | None  # None when sorted by something other than relevance


@dataclass
class SearchResponse:
    total: int
    hits: list[Hit]
    #: facet → [(value, count)], by count descending, then value
    facets: dict[str, list[tuple[str, int]]]
    page: int
    page_size: int
    #: facets whose counts are estimates: all of them when a huge result set was sampled, or one
    #: whose values were counted in several columns and may have lost some of a value's count
    estimated_facets: frozenset[str] = frozenset()

    @property
    def facets_estimated(self) -> bool:
        return bool(self.estimated_facets)


class IndexWriter(Protocol):
    def upsert(self, docs: Iterable[IndexDocument]) -> None: ...
    def delete(self, record_ids: Iterable[int]) -> None: ...
    def commit(self) -> None: ...


class SearchBackend(Protocol):
    """A search engine holding IndexDocuments; chosen by dotted path in settings."""

    def upsert(self, docs: Iterable[IndexDocument]) -> None:
        """Add or replace documents by ``record_id`` and make them visible."""

    def delete(self, record_ids: Iterable[int]) -> None:
        """Remove documents; unknown ids are ignored."""

    def clear(self) -> None:
        """Remove every document."""

    def search(self, request: SearchRequest) -> SearchResponse:
        """Run a search; raises QuerySyntaxError for a query or filter it cannot understand."""

    def count(self) -> int:
        """How many documents the index holds."""

    def bulk(self) -> AbstractContextManager[IndexWriter]:
        """One long-lived writer for imports and rebuilds; leaving the block commits."""

    def close(self) -> None:
        """Let go of files and locks."""


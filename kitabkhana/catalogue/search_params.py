"""Query-string parameters → SearchRequest: one reading of ?q=&page=&language=… for the OPAC and the API."""

from __future__ import annotations

from kitabkhana.catalogue.search.base import FACETS, FIELDS, SORTS, SearchRequest
from kitabkhana.catalogue.search.base import KINDS as INDEX_KINDS

KINDS = (*INDEX_KINDS, "all")
MAX_PAGE_SIZE = 100
# Longer than any query a person types; a 100 KB query costs the index seconds of CPU.
MAX_QUERY_LENGTH = 1000


def int_param(params, name: str, default: int, low: int, high: int | None = None) -> int:
    """A whole-number query parameter in [low, high]; raises ValueError naming the parameter."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None
    if high is None and value < low:
        raise ValueError(f"{name} must be at least {low}, got {value}")
    if high is not None and not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    return value


def search_request_from_params(params, *, default_page_size: int = 20) -> SearchRequest:
    """Read a QueryDict; raises ValueError naming the bad parameter."""
    sort = params.get("sort") or "relevance"
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}, got {sort!r}")
    kind = params.get("kind") or "bibliographic"
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    filters = {}
    for name in FIELDS:
        if name in FACETS:
            values = [v for v in params.getlist(name) if v.strip()]
            if values:
                filters[name] = values
    q = params.get("q", "").strip()
    if len(q) > MAX_QUERY_LENGTH:
        raise ValueError(f"q is {len(q)} characters long; at most {MAX_QUERY_LENGTH} are accepted")
    facets = tuple(dict.fromkeys(v for v in params.getlist("facet") if v)) or FACETS
    unknown = [name for name in facets if name not in FACETS]
    if unknown:
        raise ValueError(f"facet must be one of {', '.join(FACETS)}, got {unknown[0]!r}")
    return SearchRequest(
        q=q,
        facets=facets,
        filters=filters,
        page=int_param(params, "page", 1, 1, 10_000),
        page_size=int_param(params, "page_size", default_page_size, 1, MAX_PAGE_SIZE),
        sort=sort,
        kind=None if kind == "all" else kind,
    )

"""The catalogue's search index, kept apart from Django so another engine can be slotted in.

- ``base``: the value types (IndexDocument, SearchRequest, SearchResponse, Hit), the field and
  facet names, ``QuerySyntaxError`` and the ``SearchBackend`` Protocol every engine implements.
- ``query``: the reader-facing query language parsed into a small engine-neutral tree.
- ``tantivy_backend``: the embedded default engine (tantivy, no server).

Text is folded by ``kitabkhana.scripts.normalise`` on both sides: when a document is indexed and
when a query is parsed.
"""

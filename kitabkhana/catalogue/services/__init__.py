"""Writes to the catalogue. Each public function is one transaction; indexing follows the commit.

- records: create, update (optimistic locking), restore a version, delete; holdings
- importing: MARC file import (streaming, batched, resumable)
- indexing: turning records into search documents, the index outbox, reindex
- exporting: MARC out (ISO 2709, MARCXML, JSON)
"""

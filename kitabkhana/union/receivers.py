"""The union catalogue's answer to ``catalogue.signals.records_stored``: match what was stored.

Connected in ``UnionConfig.ready``. It runs inside the storing transaction, so a record and its cluster
membership commit together; the ids returned are the other records whose index entries changed.
"""

from __future__ import annotations

from kitabkhana.union.services import records_match


def records_stored_received(
    sender, *, record_ids: list[int], institution_id: int | None, parsed=None, **kwargs
) -> set[int]:
    return records_match(record_ids=record_ids, parsed=parsed)

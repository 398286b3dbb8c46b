"""Signals the catalogue sends so that apps above it (the union catalogue) can act on stored records."""

from django.dispatch import Signal

# Sent inside the transaction that stored records (an import or harvest batch, a single create, edit,
# restore or delete) with ``record_ids`` (list[int]), ``institution_id`` and ``parsed`` (record id →
# (pymarc.Record, RecordSummary) for the records the sender has already read, so that receivers do
# not parse and summarise them again; may be empty). A receiver may change
# other records in the same transaction (cluster membership) and returns the ids of further records
# whose search-index entries must be refreshed, or None.
records_stored = Signal()


def records_stored_send(
    *, sender: object, record_ids: list[int], institution_id: int | None, parsed: dict | None = None
) -> set[int]:
    """Send :data:`records_stored`; returns the further record ids the receivers changed."""
    touched: set[int] = set()
    if not record_ids:
        return touched
    for _receiver, response in records_stored.send(sender=sender, record_ids=record_ids,
                                                   institution_id=institution_id, parsed=parsed or {}):
        if response:
            touched.update(response)
    return touched - set(record_ids)

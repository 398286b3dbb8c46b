"""A digitized book is found in the catalogue by the words inside it: its record is indexed again when its
OCR text or its publication changes (the text itself comes from ``selectors.ocr_text_of_records``, which the
app registers with the catalogue's index in ``DigitizationConfig.ready``)."""

from __future__ import annotations

from functools import partial

from django.db import transaction

from kitabkhana.catalogue.services.indexing import index_after_commit
from kitabkhana.digitization.models import DigitalItem


def item_record_reindex(item: DigitalItem) -> None:
    """Index the item's record again once the current transaction commits."""
    transaction.on_commit(partial(index_after_commit, [item.record_id]))

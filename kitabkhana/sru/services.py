"""Copy cataloguing over SRU: import the record a cataloguer chose from a partner's server."""

from __future__ import annotations

from dataclasses import dataclass

import pymarc

from kitabkhana.accounts.models import Institution
from kitabkhana.catalogue.models import Record
from kitabkhana.catalogue.services.records import record_create
from kitabkhana.core.errors import NotFound, ValidationFailed
from kitabkhana.marc.errors import RecordError
from kitabkhana.sru.client import SruClient
from kitabkhana.sru.models import SruTarget
from kitabkhana.sru.selectors import CATALOGUE_FLAVOUR, control_number_of, partner_search

__all__ = ["CopyImport", "copy_record_import"]

_HOLDINGS = frozenset("uvxy")


@dataclass
class CopyImport:
    record: Record
    losses: list[str]


def _to_catalogue_flavour(record: pymarc.Record, flavour: str) -> tuple[pymarc.Record, list[str]]:
    if flavour == CATALOGUE_FLAVOUR:
        return record, []
    # Imported where used: the crosswalk tables load on first use, only copy cataloguing needs them.
    from kitabkhana.marc.crosswalk import unimarc_to_marc21

    try:
        result = unimarc_to_marc21(record)
    except RecordError as exc:
        raise ValidationFailed(f"the UNIMARC record cannot be cross-walked to MARC 21: {exc}") from None
    return result.record, list(result.losses)


def copy_record_import(
    *, target: SruTarget, query: str, position: int, control_number: str, institution: Institution,
    user=None, client: SruClient | None = None,
) -> CopyImport:
    """Fetch the record at ``position`` again and store it as a new record of ``institution``.

    The record is fetched again rather than carried through the browser (nothing the page sends is
    trusted as MARC); ``control_number`` (its 001 as listed) guards against the partner's result
    having changed in between. UNIMARC copies are cross-walked to MARC 21; what the crosswalk
    could not carry is returned as ``losses``. The partner's 001/003 are kept as sent.
    """
    result = partner_search(target, query, position, 1, client)
    item = next((r for r in result.records if r.position == position), result.records[0] if result.records else None)
    if item is None:
        problems = "; ".join(str(d) for d in result.diagnostics)
        raise NotFound(f"{target.name} no longer returns a record at position {position} for {query!r}"
                       + (f" ({problems})" if problems else ""))
    if item.record is None:
        raise ValidationFailed(item.error or f"record {position} from {target.name} cannot be read")
    found = control_number_of(item.record)
    if control_number and found != control_number:
        raise ValidationFailed(
            f"{target.name} now returns a different record at position {position} (001 {found!r}, "
            f"expected {control_number!r}); search again"
        )
    flavour = item.flavour or CATALOGUE_FLAVOUR
    if flavour == "marc21" and str(item.record.leader)[6:7] in _HOLDINGS:
        raise ValidationFailed(f"record {position} from {target.name} is a holdings record, not a bibliographic one")
    marc, losses = _to_catalogue_flavour(item.record, flavour)
    record = record_create(marc_record=marc, flavour=CATALOGUE_FLAVOUR, institution=institution, user=user,
                           note=f"copy catalogued from {target.name}")
    return CopyImport(record, losses)

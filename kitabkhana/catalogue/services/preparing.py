"""From a decoded MARC record to the row values stored for it: one path for imports and edits alike."""

from __future__ import annotations

from dataclasses import dataclass

import pymarc

from kitabkhana.marc.derive import RecordSummary, summarise
from kitabkhana.marc.writer import to_iso2709

_TITLE_MAX = 2000


def _db_text(value: str, limit: int) -> str:
    # PostgreSQL text cannot hold NUL; real records occasionally carry one inside a subfield. The MARC
    # itself (binary) keeps it; the derived columns, used for lists and sorting, drop it.
    return value.replace("\x00", "")[:limit]


@dataclass
class PreparedRecord:
    marc: bytes
    kind: str
    flavour: str
    control_key: str
    summary: RecordSummary
    identifiers: list[tuple[str, str]]

    def columns(self) -> dict:
        s = self.summary
        return {
            "kind": self.kind,
            "flavour": self.flavour,
            "control_key": self.control_key,
            "marc": self.marc,
            "title": _db_text(s.title, _TITLE_MAX),
            "title_original": _db_text(s.title_original or "", _TITLE_MAX),
            "author": _db_text(s.authors[0] if s.authors else "", _TITLE_MAX),
            "year": s.year,
            "material_type": _db_text(s.material_type, 24),
            "languages": _db_text(",".join(s.languages), 64),
        }


def control_key_of(summary: RecordSummary) -> str:
    return _control_key(summary.control_agency, summary.control_number)


def _control_key(agency: str, number: str) -> str:
    if not number:
        return ""
    return _db_text(f"{(agency or '').strip()}|{number.strip()}", 160)


def record_prepare(record: pymarc.Record, *, flavour: str, utf8_iso2709: bytes | None = None) -> PreparedRecord:
    """Serialise and derive; raises marc.errors.RecordError when the record cannot be stored (e.g. a field too long).

    ``utf8_iso2709``: the reader's bytes for this very record when they can be stored as they are.
    """
    summary = summarise(record, flavour)
    kind = "authority" if summary.kind == "authority" else "bibliographic"
    identifiers = [("isbn", v) for v in summary.isbns] + [("issn", v) for v in summary.issns]
    identifiers += [("other", _db_text(v, 64)) for v in summary.other_numbers]
    return PreparedRecord(
        marc=utf8_iso2709 if utf8_iso2709 is not None else to_iso2709(record, flavour=flavour),
        kind=kind,
        flavour=flavour,
        control_key=control_key_of(summary),
        summary=summary,
        identifiers=identifiers,
    )

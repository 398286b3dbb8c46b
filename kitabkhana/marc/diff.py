"""Field-level differences between two versions of a record, for history pages and audit."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

import pymarc


@dataclass(frozen=True)
class FieldChange:
    op: str  # "added" | "removed" | "changed"
    tag: str
    before: str | None
    after: str | None


def field_text(field: pymarc.Field) -> str:
    """A field as a cataloguer reads it: ``245 10 $a Title : $b subtitle``."""
    if field.is_control_field():
        return f"{field.tag} {field.data}"
    indicators = "".join(i if i and i != " " else "_" for i in field.indicators)
    subfields = " ".join(f"${sf.code} {sf.value}" for sf in field.subfields)
    return f"{field.tag} {indicators} {subfields}"


def _leader_text(record: pymarc.Record) -> str:
    # Record length (00-04) and base address (12-16) are recomputed on every save: not a change.
    leader = str(record.leader)
    return f"LDR {'#' * 5}{leader[5:12]}{'#' * 5}{leader[17:]}"


def _lines(record: pymarc.Record) -> list[str]:
    return [_leader_text(record)] + [field_text(f) for f in record.fields]


def record_diff(before: pymarc.Record | None, after: pymarc.Record) -> list[FieldChange]:
    old = _lines(before) if before is not None else []
    new = _lines(after)
    changes: list[FieldChange] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        removed, added = old[i1:i2], new[j1:j2]
        # Pair a replaced line with its counterpart of the same tag, so "245 changed" reads as one change.
        while removed and added and removed[0][:3] == added[0][:3]:
            changes.append(FieldChange("changed", added[0][:3], removed.pop(0), added.pop(0)))
        changes += [FieldChange("removed", line[:3], line, None) for line in removed]
        changes += [FieldChange("added", line[:3], None, line) for line in added]
    return changes

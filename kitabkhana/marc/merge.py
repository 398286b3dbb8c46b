"""Merging an incoming copy of a record into the stored one (import with ``--match merge``).

Rule, chosen so that a re-import never loses local work: the incoming record wins for the leader,
control fields and any tag it carries that the stored record has once (main entry, title,
imprint...); for tags that occur more than once (subjects, added entries, notes, 856...) the two
sets are united without duplicates; tags only the stored record has (local 9XX fields, holdings
notes added here) are kept.
"""

from __future__ import annotations

import copy

import pymarc

from kitabkhana.marc.diff import field_text


def merge_records(stored: pymarc.Record, incoming: pymarc.Record) -> pymarc.Record:
    merged = copy.deepcopy(incoming)
    incoming_by_tag: dict[str, list[pymarc.Field]] = {}
    for field in incoming.fields:
        incoming_by_tag.setdefault(field.tag, []).append(field)
    seen = {field_text(f) for f in incoming.fields}
    stored_counts: dict[str, int] = {}
    for field in stored.fields:
        stored_counts[field.tag] = stored_counts.get(field.tag, 0) + 1
    for field in stored.fields:
        text = field_text(field)
        if text in seen:
            continue
        in_incoming = field.tag in incoming_by_tag
        repeatable_here = stored_counts[field.tag] > 1 or len(incoming_by_tag.get(field.tag, [])) > 1
        if not in_incoming or (repeatable_here and not field.is_control_field()):
            merged.add_ordered_field(copy.deepcopy(field))
            seen.add(text)
    return merged

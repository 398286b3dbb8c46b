"""The staff MARC editor's form: posted rows of tag / indicators / subfields to a pymarc record and back.

Subfields are typed as ``$a Title :$b subtitle``; a literal dollar sign is written ``{dollar}``
(MarcEdit's convention, familiar to cataloguers). The leader and MARC 21 008 come with position
helpers: labelled inputs whose values, when filled, overwrite those positions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pymarc
from django.utils.translation import gettext_noop

_SUBFIELD = re.compile(r"\$([0-9a-z])", re.IGNORECASE)
_TAG = re.compile(r"^[0-9A-Za-z]{3}$")

# Marked for translation here; translated where the template shows them.
LEADER_POSITIONS = {
    "marc21": [
        (5, 1, gettext_noop("Record status")), (6, 1, gettext_noop("Type of record")),
        (7, 1, gettext_noop("Bibliographic level")), (17, 1, gettext_noop("Encoding level")),
        (18, 1, gettext_noop("Descriptive cataloguing form")),
    ],
    "unimarc": [
        (5, 1, gettext_noop("Record status")), (6, 1, gettext_noop("Type of record")),
        (7, 1, gettext_noop("Bibliographic level")), (8, 1, gettext_noop("Hierarchical level")),
        (17, 1, gettext_noop("Encoding level")), (18, 1, gettext_noop("Descriptive cataloguing form")),
    ],
}
F008_POSITIONS = [
    (0, 6, gettext_noop("Date entered (yymmdd)")), (6, 1, gettext_noop("Type of date")),
    (7, 4, gettext_noop("Date 1")), (11, 4, gettext_noop("Date 2")), (15, 3, gettext_noop("Place of publication")),
    (35, 3, gettext_noop("Language")), (38, 1, gettext_noop("Modified record")),
    (39, 1, gettext_noop("Cataloguing source")),
]

NEW_RECORD_TEMPLATE = {
    "marc21": ("     nam a22     7i 4500", [("008", "", "", "{today}s        xx            000 0 und d"),
                                           ("040", " ", " ", "$a {institution} $b eng $e rda $c {institution}"),
                                           ("100", "1", " ", "$a "), ("245", "1", "0", "$a "),
                                           ("264", " ", "1", "$a  $b  $c "), ("300", " ", " ", "$a ")]),
    "unimarc": ("     nam0 22        450 ", [("100", " ", " ", "$a {today}d        u  y0pery0103    ba"),
                                             ("101", "0", " ", "$a per"), ("200", "1", " ", "$a "),
                                             ("210", " ", " ", "$a  $c  $d "), ("801", " ", "0", "$a  $b {institution}")]),
}


@dataclass
class EditorRow:
    tag: str = ""
    ind1: str = " "
    ind2: str = " "
    value: str = ""
    messages: list = field(default_factory=list)


@dataclass
class EditorForm:
    leader: str
    rows: list[EditorRow]
    errors: list[str] = field(default_factory=list)


def _overlay(base: str, length: int, posted: dict[str, str], prefix: str, positions) -> str:
    chars = list(base.ljust(length)[:length])
    for start, width, _label in positions:
        value = posted.get(f"{prefix}{start}")
        if value is not None and value != "":
            chars[start : start + width] = list(value.ljust(width)[:width])
    return "".join(chars)


def subfields_from_text(text: str) -> list[pymarc.Subfield]:
    parts = _SUBFIELD.split(text.strip())
    # parts = [before-first-$, code, value, code, value, ...]
    if parts[0].strip():
        raise ValueError(f"text before the first subfield code: {parts[0].strip()!r} (start with $a)")
    subfields = []
    for code, value in zip(parts[1::2], parts[2::2], strict=True):
        subfields.append(pymarc.Subfield(code=code, value=value.strip().replace("{dollar}", "$")))
    return subfields


def subfields_to_text(f: pymarc.Field) -> str:
    return " ".join(f"${sf.code} {sf.value.replace('$', '{dollar}')}" for sf in f.subfields)


def form_from_record(record: pymarc.Record) -> EditorForm:
    rows = []
    for f in record.fields:
        if f.is_control_field():
            rows.append(EditorRow(tag=f.tag, ind1="", ind2="", value=f.data or ""))
        else:
            ind1, ind2 = (list(f.indicators) + [" ", " "])[:2]
            rows.append(EditorRow(tag=f.tag, ind1=ind1 or " ", ind2=ind2 or " ", value=subfields_to_text(f)))
    return EditorForm(leader=str(record.leader), rows=rows)


def form_from_post(post, flavour: str) -> EditorForm:
    """Read the posted editor; malformed rows are reported on the form, not raised."""
    posted = {k: post.get(k) for k in post}
    leader = _overlay(post.get("leader", ""), 24, posted, "ldr_", LEADER_POSITIONS[flavour])
    rows = []
    for tag, ind1, ind2, value in zip(post.getlist("tag"), post.getlist("ind1"), post.getlist("ind2"),
                                      post.getlist("value"), strict=False):
        tag = tag.strip()
        if not tag and not value.strip():
            continue
        row = EditorRow(tag=tag, ind1=(ind1 or " ")[:1], ind2=(ind2 or " ")[:1], value=value)
        if flavour == "marc21" and tag == "008":
            row.value = _overlay(value, 40, posted, "f008_", F008_POSITIONS)
        rows.append(row)
    return EditorForm(leader=leader, rows=rows)


def record_from_form(form: EditorForm) -> pymarc.Record | None:
    """Build the record; on a malformed row, note the problem on the row and return None."""
    record = pymarc.Record(force_utf8=True)
    record.leader = pymarc.Leader(form.leader.ljust(24)[:24])
    ok = True
    for row in form.rows:
        if not _TAG.match(row.tag):
            row.messages.append(f"tag {row.tag!r} must be three digits or letters")
            ok = False
            continue
        if row.tag < "010" and row.tag.isdigit():
            record.add_field(pymarc.Field(tag=row.tag, data=row.value))
            continue
        try:
            subfields = subfields_from_text(row.value)
        except ValueError as exc:
            row.messages.append(str(exc))
            ok = False
            continue
        if not subfields:
            row.messages.append("a data field needs at least one subfield, e.g. $a")
            ok = False
            continue
        record.add_field(pymarc.Field(tag=row.tag, indicators=pymarc.Indicators(row.ind1, row.ind2),
                                      subfields=subfields))
    return record if ok else None


def attach_messages(form: EditorForm, messages) -> list:
    """Put validation messages beside the row they concern; return the ones that concern no row."""
    seen: dict[str, int] = {}
    rows_by_key = {}
    for row in form.rows:
        seen[row.tag] = seen.get(row.tag, 0) + 1
        rows_by_key[(row.tag, seen[row.tag])] = row
    general = []
    for message in messages:
        row = rows_by_key.get((message.tag, message.occurrence or 1))
        (row.messages if row else general).append(message)
    return general


def new_record_form(flavour: str, institution_code: str, today: str) -> EditorForm:
    leader, rows = NEW_RECORD_TEMPLATE[flavour]
    return EditorForm(
        leader=leader,
        rows=[EditorRow(tag=t, ind1=i1, ind2=i2, value=v.format(institution=institution_code, today=today))
              for t, i1, i2, v in rows],
    )

"""The national cataloguing profile: which fields, indicators and subfields a record may carry.

The profile is data (``profiles/<flavour>-<kind>.json``), versioned with the code, so cataloguers can read
and amend it without touching Python. ``load_profile`` turns a file into a ``Profile`` whose rules are
frozensets built once; ``validate`` then checks one record in a single pass over its fields and returns
``ValidationMessage`` values. ``ProfileReport`` counts messages by kind across an import of any size
without keeping them.

Pure Python: no Django here (the import-linter contract for ``kitabkhana.marc`` forbids it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pymarc
from stdnum import isbn as stdnum_isbn
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

__all__ = ["FieldRule", "Profile", "ProfileReport", "ValidationMessage", "load_profile", "profile_report",
           "validate"]

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"
FLAVOURS = ("marc21", "unimarc")
KINDS = ("bibliographic", "authority")


@dataclass(frozen=True, slots=True)
class ValidationMessage:
    severity: str  # "error" | "warning"
    tag: str  # "245", "LDR", or "" for the record as a whole
    occurrence: int | None  # 1-based occurrence of ``tag`` in the record
    code: str  # machine code, e.g. "invalid-indicator"
    message: str  # the sentence a cataloguer reads, with this record's values
    generic: str = ""  # the same problem without record-specific values, for counting across records

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class FieldRule:
    tag: str
    name: str
    repeatable: bool
    control: bool = False
    length: int | None = None
    length_severity: str = "warning"
    indicators: tuple[frozenset[str] | None, frozenset[str] | None] = (None, None)
    subfields: frozenset[str] | None = None  # None: any code is allowed (880 mirrors another field)
    non_repeatable: frozenset[str] = frozenset()
    required_subfields: tuple[str, ...] = ()
    subfield_length: tuple[tuple[str, int], ...] = ()
    # Positions that have a rule, precomputed so validate skips undefined indicators without a test.
    checked_indicators: tuple[tuple[int, frozenset[str]], ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        checked = tuple((i, allowed) for i, allowed in enumerate(self.indicators) if allowed is not None)
        object.__setattr__(self, "checked_indicators", checked)


@dataclass(slots=True)
class Profile:
    name: str
    flavour: str
    kind: str
    version: str
    leader_length: int
    leader_values: tuple[tuple[int, frozenset[str]], ...]
    required: tuple[tuple[tuple[str, ...], str], ...]  # (any of these tags, severity)
    fields: dict[str, FieldRule]
    allow_patterns: tuple[str, ...]
    allow_tags: frozenset[str]
    _unlisted: dict[str, bool] = field(default_factory=dict, repr=False)

    def allows_unlisted(self, tag: str) -> bool:
        """Local fields (9XX, X9X and the listed tags) pass silently; other unlisted tags get a warning."""
        known = self._unlisted.get(tag)
        if known is None:
            known = tag in self.allow_tags or any(
                len(p) == len(tag) and all(pc == "X" or pc == tc for pc, tc in zip(p, tag, strict=True))
                for p in self.allow_patterns
            )
            if len(self._unlisted) < 10_000:  # malformed files can invent endless tags; keep the memo small
                self._unlisted[tag] = known
        return known


def _chars(values: list[str] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(values)


def _rule(tag: str, spec: dict[str, Any], local_subfields: frozenset[str]) -> FieldRule:
    indicators = spec.get("indicators") or [None, None]
    subfields = _chars(spec.get("subfields"))
    return FieldRule(
        tag=tag,
        name=spec.get("name", ""),
        repeatable=bool(spec.get("repeatable", True)),
        control=bool(spec.get("control", False)),
        length=spec.get("length"),
        length_severity=spec.get("length_severity", "warning"),
        indicators=(_chars(indicators[0]), _chars(indicators[1])),
        # Subfields reserved for local use (MARC 21 $9) pass everywhere, as local tags do.
        subfields=None if subfields is None else subfields | local_subfields,
        non_repeatable=frozenset(spec.get("non_repeatable", ())),
        required_subfields=tuple(spec.get("required_subfields", ())),
        subfield_length=tuple((code, int(n)) for code, n in (spec.get("subfield_length") or {}).items()),
    )


def profile_from_dict(data: dict[str, Any]) -> Profile:
    """Build a profile from its JSON form (also lets tests and institutions supply their own)."""
    allow = data.get("allow_unlisted") or {}
    local_subfields = frozenset(allow.get("subfields", ()))
    return Profile(
        name=data.get("profile", ""),
        flavour=data["flavour"],
        kind=data["kind"],
        version=str(data.get("version", "")),
        leader_length=int(data.get("leader_length", 24)),
        leader_values=tuple((int(pos), frozenset(chars)) for pos, chars in (data.get("leader_values") or {}).items()),
        required=tuple((tuple(r["tags"]), r.get("severity", "error")) for r in data.get("required", ())),
        fields={tag: _rule(tag, spec, local_subfields) for tag, spec in data["fields"].items()},
        allow_patterns=tuple(allow.get("patterns", ())),
        allow_tags=frozenset(allow.get("tags", ())),
    )


@lru_cache(maxsize=8)
def load_profile(flavour: str, kind: str) -> Profile:
    """The profile for ``flavour`` ("marc21" | "unimarc") and ``kind`` ("bibliographic" | "authority")."""
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown MARC flavour {flavour!r}; expected one of {', '.join(FLAVOURS)}")
    if kind not in KINDS:
        raise ValueError(f"unknown record kind {kind!r}; expected one of {', '.join(KINDS)}")
    path = PROFILE_DIR / f"{flavour}-{kind}.json"
    return profile_from_dict(json.loads(path.read_text(encoding="utf-8")))


# --------------------------------------------------------------------------------------------------

def _show(ch: str) -> str:
    return "#" if ch == " " else ch


def _allowed(chars: frozenset[str]) -> str:
    return ", ".join(_show(c) for c in sorted(chars))


def _group_label(tags: tuple[str, ...]) -> str:
    if len(tags) == 1:
        return tags[0]
    if len({t[0] for t in tags}) == 1:
        return f"{tags[0][0]}XX"
    return "/".join(tags)


_ISBN_TOKEN = re.compile(r"[0-9Xx][0-9Xx\- ]*[0-9Xx]")
_REASONS = ((InvalidChecksum, "invalid checksum"), (InvalidLength, "invalid length"),
            (InvalidFormat, "invalid format"), (InvalidComponent, "invalid component"))


def _isbn_problem(value: str) -> str | None:
    # "594067013X (v. 1)": the qualifier is not part of the number.
    m = _ISBN_TOKEN.search(value.split("(", 1)[0].split(":", 1)[0])
    try:
        stdnum_isbn.validate(m.group(0).replace(" ", "") if m else value.strip())
    except Exception as exc:  # stdnum raises ValidationError subclasses; anything else is just as invalid
        return next((text for cls, text in _REASONS if isinstance(exc, cls)), "invalid")
    return None


def validate(record: pymarc.Record, profile: Profile) -> list[ValidationMessage]:
    """Check one record against ``profile``; an empty list means it conforms."""
    found: list[ValidationMessage] = []
    add = found.append
    leader = str(record.leader or "")
    if len(leader) != profile.leader_length:
        add(ValidationMessage("error", "LDR", None, "leader",
                              f"LDR: leader is {len(leader)} characters; expected {profile.leader_length}",
                              f"LDR: leader is not {profile.leader_length} characters"))
    else:
        for pos, allowed in profile.leader_values:
            if leader[pos] not in allowed:
                add(ValidationMessage("error", "LDR", None, "leader",
                                      f"LDR: position {pos:02d} is '{_show(leader[pos])}'; allowed: {_allowed(allowed)}",
                                      f"LDR: position {pos:02d} not one of {_allowed(allowed)}"))

    rules_get = profile.fields.get
    counts: dict[str, int] = {}
    counts_get = counts.get
    check_isbn = "020" if profile.flavour == "marc21" else "010"
    for f in record.fields:
        tag = f.tag
        occ = counts[tag] = counts_get(tag, 0) + 1
        rule = rules_get(tag)
        if rule is None:
            if occ == 1 and not profile.allows_unlisted(tag):
                add(ValidationMessage("warning", tag, occ, "unknown-tag",
                                      f"{tag}: field is not defined in the {profile.name} profile",
                                      f"{tag}: field is not defined in the profile"))
            continue
        if occ == 2 and not rule.repeatable:
            add(ValidationMessage("error", tag, occ, "not-repeatable",
                                  f"{tag}: field is not repeatable ({rule.name}) but occurs more than once",
                                  f"{tag}: field is not repeatable"))
        if rule.control or f.control_field:
            if rule.length is not None:
                data = f.data or ""
                if len(data) != rule.length:
                    add(ValidationMessage(rule.length_severity, tag, occ, "invalid-length",
                                          f"{tag}: length is {len(data)}; expected {rule.length}",
                                          f"{tag}: length is not {rule.length}"))
            continue

        ind = f.indicators or ("", "")
        # The common case (a valid indicator) costs one set lookup; the message is built only on failure.
        for i, allowed in rule.checked_indicators:
            value = (ind[i] if len(ind) > i else " ") or " "
            if value not in allowed:
                add(ValidationMessage("error", tag, occ, "invalid-indicator",
                                      f"{tag}: indicator {i + 1} is '{_show(value)}'; allowed: {_allowed(allowed)}",
                                      f"{tag}: indicator {i + 1} not one of {_allowed(allowed)}"))

        subfields = f.subfields
        codes = [sf.code for sf in subfields]
        allowed_codes = rule.subfields
        if allowed_codes is not None and not allowed_codes.issuperset(codes):
            for code in dict.fromkeys(c for c in codes if c not in allowed_codes):
                add(ValidationMessage("error", tag, occ, "invalid-subfield",
                                      f"{tag}: subfield ${code} is not defined for {rule.name}",
                                      f"{tag}: subfield ${code} is not defined"))
        if rule.non_repeatable and len(codes) != len(set(codes)):
            seen: set[str] = set()
            for code in codes:
                if code in seen and code in rule.non_repeatable:
                    add(ValidationMessage("error", tag, occ, "subfield-not-repeatable",
                                          f"{tag}: subfield ${code} is not repeatable",
                                          f"{tag}: subfield ${code} is not repeatable"))
                    seen.discard(code)  # report a triple once
                    continue
                seen.add(code)
        for code in rule.required_subfields:
            if code not in codes:
                add(ValidationMessage("error", tag, occ, "required-subfield-missing",
                                      f"{tag}: required subfield ${code} is missing",
                                      f"{tag}: required subfield ${code} is missing"))
        for code, n in rule.subfield_length:
            for sf in subfields:
                if sf.code == code and len(sf.value) != n:
                    add(ValidationMessage(rule.length_severity, tag, occ, "invalid-length",
                                          f"{tag}: subfield ${code} is {len(sf.value)} characters; expected {n}",
                                          f"{tag}: subfield ${code} is not {n} characters"))
        if tag == check_isbn:
            for sf in f.subfields:
                if sf.code == "a":
                    problem = _isbn_problem(sf.value)
                    if problem:
                        add(ValidationMessage("warning", tag, occ, "invalid-isbn",
                                              f"{tag} $a {sf.value.strip()}: {problem}",
                                              f"{tag}: invalid ISBN in $a"))

    for tags, severity in profile.required:
        if not any(t in counts for t in tags):
            label = _group_label(tags)
            rule = profile.fields.get(tags[0])
            what = f" ({rule.name})" if rule is not None and len(tags) == 1 else f" (one of {', '.join(tags)})"
            add(ValidationMessage(severity, label, None, "required-field-missing",
                                  f"{label}: required field is missing{what}",
                                  f"{label}: required field is missing"))
    return found


# --------------------------------------------------------------------------------------------------

class ProfileReport:
    """Counts of validation problems across many records, kept as totals only.

    An importer calls ``add(validate(...))`` per record; memory stays the size of the set of distinct
    problems, not of the file.
    """

    def __init__(self) -> None:
        self.records_checked = 0
        self.records_with_errors = 0
        self.records_with_warnings = 0
        self._counts: dict[tuple[str, str, str, str], int] = {}

    def add(self, messages: Iterable[ValidationMessage]) -> None:
        self.records_checked += 1
        errors = warnings = False
        counts = self._counts
        for m in messages:
            if m.severity == "error":
                errors = True
            else:
                warnings = True
            key = (m.severity, m.tag, m.code, m.generic or m.message)
            counts[key] = counts.get(key, 0) + 1
        self.records_with_errors += errors
        self.records_with_warnings += warnings

    def as_dict(self) -> dict[str, Any]:
        problems = [
            {"severity": severity, "tag": tag, "code": code, "message": message, "count": count}
            for (severity, tag, code, message), count in self._counts.items()
        ]
        # Most frequent first; errors before warnings at equal counts, then by tag for a stable order.
        problems.sort(key=lambda p: (-p["count"], p["severity"] != "error", p["tag"], p["code"], p["message"]))
        return {
            "records_checked": self.records_checked,
            "records_with_errors": self.records_with_errors,
            "records_with_warnings": self.records_with_warnings,
            "problems": problems,
        }


def profile_report(message_lists: Iterable[Iterable[ValidationMessage]]) -> dict[str, Any]:
    """Summarise the messages of many records (one list per record) for an import job."""
    report = ProfileReport()
    for messages in message_lists:
        report.add(messages)
    return report.as_dict()

"""Reads for the OAI-PMH provider: records by datestamp keyset, sets, and what Identify reports.

Everything a page needs comes in a fixed number of queries, whatever the page size: the records
(one keyset query over the ``(updated_at, id)`` index), the set memberships of those records (one
query on the collections table) and the institution and collection codes (small tables, read once).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Exists, Min, OuterRef, Q, QuerySet

from kitabkhana.accounts.models import Institution, InstitutionKind
from kitabkhana.catalogue.models import Collection, Record

__all__ = [
    "OaiRecord", "OaiSet", "SetFilter", "earliest_datestamp", "record_by_id", "records_count", "records_page",
    "repository_name", "set_filter", "sets_all",
]

_RecordCollections = Record.collections.through


@dataclass(slots=True)
class OaiRecord:
    id: int
    updated_at: datetime
    deleted: bool
    flavour: str
    kind: str
    marc: bytes | None
    set_specs: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class OaiSet:
    spec: str
    name: str


@dataclass(frozen=True, slots=True)
class SetFilter:
    """A set's condition on records; ``exists`` False means the set is unknown (so nothing matches)."""

    exists: bool
    institution_id: int | None = None
    collection_id: int | None = None
    any_collection: bool = False


def repository_name() -> str:
    """The national library's name: the network's default institution, else any national one."""
    code = settings.KITABKHANA.get("DEFAULT_INSTITUTION", "")
    institution = Institution.objects.filter(code=code).first() or (
        Institution.objects.filter(kind=InstitutionKind.NATIONAL).order_by("id").first()
    )
    return institution.name if institution is not None else "Kitabkhana"


def earliest_datestamp() -> datetime | None:
    return Record.objects.aggregate(first=Min("updated_at"))["first"]


def sets_all() -> list[OaiSet]:
    """Every set: the two parents, one per institution and one per collection."""
    sets = [OaiSet("institution", "Records by the institution that holds them")]
    sets += [OaiSet(f"institution:{code}", name) for code, name in Institution.objects.order_by("code").values_list("code", "name")]
    sets.append(OaiSet("collection", "Records in a named collection"))
    sets += [OaiSet(f"collection:{code}", name) for code, name in Collection.objects.order_by("code").values_list("code", "name")]
    return sets


def set_filter(spec: str) -> SetFilter:
    if spec in ("", "institution"):
        return SetFilter(exists=True)
    if spec == "collection":
        return SetFilter(exists=True, any_collection=True)
    kind, _, code = spec.partition(":")
    if kind == "institution":
        pk = Institution.objects.filter(code=code).values_list("pk", flat=True).first()
        return SetFilter(exists=pk is not None, institution_id=pk)
    if kind == "collection":
        pk = Collection.objects.filter(code=code).values_list("pk", flat=True).first()
        return SetFilter(exists=pk is not None, collection_id=pk)
    return SetFilter(exists=False)


def _records(*, where: SetFilter, from_: datetime | None, until: datetime) -> QuerySet[Record]:
    records = Record.objects.filter(updated_at__lt=until)
    if from_ is not None:
        records = records.filter(updated_at__gte=from_)
    if where.institution_id is not None:
        records = records.filter(institution_id=where.institution_id)
    if where.collection_id is not None:
        records = records.filter(
            Exists(_RecordCollections.objects.filter(record_id=OuterRef("pk"), collection_id=where.collection_id))
        )
    elif where.any_collection:
        records = records.filter(Exists(_RecordCollections.objects.filter(record_id=OuterRef("pk"))))
    return records


def records_count(*, where: SetFilter, from_: datetime | None, until: datetime) -> int:
    return _records(where=where, from_=from_, until=until).count()


def _set_specs(records: list[OaiRecord], institution_ids: dict[int, int]) -> None:
    codes = dict(Institution.objects.values_list("pk", "code"))
    collections = dict(Collection.objects.values_list("pk", "code"))
    member: dict[int, list[str]] = defaultdict(list)
    rows = _RecordCollections.objects.filter(record_id__in=[r.id for r in records]).values_list(
        "record_id", "collection_id"
    )
    for record_id, collection_id in rows:
        member[record_id].append(f"collection:{collections[collection_id]}")
    for r in records:
        r.set_specs = [f"institution:{codes[institution_ids[r.id]]}", *sorted(member.get(r.id, ()))]


def records_page(
    *, where: SetFilter, from_: datetime | None, until: datetime, after: tuple[datetime, int] | None, limit: int,
    with_marc: bool,
) -> list[OaiRecord]:
    """Up to ``limit`` records in datestamp order, after the keyset position ``after``."""
    records = _records(where=where, from_=from_, until=until)
    if after is not None:
        stamp, last_id = after
        # "updated_at >= stamp" on its own lets the (updated_at, id) index start the scan at the position; the
        # plain OR of the two keyset cases makes SQLite merge two index scans and sort the whole rest.
        records = records.filter(Q(updated_at__gte=stamp) & (Q(updated_at__gt=stamp) | Q(id__gt=last_id)))
    columns = ["id", "updated_at", "deleted_at", "flavour", "kind", "institution_id"]
    if with_marc:
        columns.append("marc")
    rows = records.order_by("updated_at", "id").values_list(*columns)[:limit]
    out: list[OaiRecord] = []
    institution_ids: dict[int, int] = {}
    for row in rows:
        institution_ids[row[0]] = row[5]
        marc = bytes(row[6]) if with_marc and row[2] is None else None
        out.append(OaiRecord(row[0], row[1], row[2] is not None, row[3], row[4], marc))
    _set_specs(out, institution_ids)
    return out


def record_by_id(record_id: int) -> OaiRecord | None:
    row = Record.objects.filter(pk=record_id).values_list(
        "id", "updated_at", "deleted_at", "flavour", "kind", "institution_id", "marc"
    ).first()
    if row is None:
        return None
    record = OaiRecord(row[0], row[1], row[2] is not None, row[3], row[4], None if row[2] is not None else bytes(row[6]))
    _set_specs([record], {row[0]: row[5]})
    return record

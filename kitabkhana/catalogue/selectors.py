"""Reads of the catalogue for pages, APIs and protocols: records, their display, history and search."""

from __future__ import annotations

from dataclasses import dataclass, field

import pymarc
from django.db.models import QuerySet
from django.utils.translation import get_language

from kitabkhana.accounts.models import Institution
from kitabkhana.catalogue.models import Holding, ImportJob, Record, RecordVersion
from kitabkhana.catalogue.search.base import MAX_RESULT_WINDOW, SearchRequest, SearchResponse
from kitabkhana.catalogue.services.indexing import search_backend
from kitabkhana.core.errors import NotFound
from kitabkhana.marc.derive import RecordSummary, summarise
from kitabkhana.marc.diff import FieldChange, field_text, record_diff
from kitabkhana.marc.writer import iso2709_to_record
from kitabkhana.scripts.calendars import describe_imprint_year


def record_get(*, record_id: int, include_deleted: bool = False) -> Record:
    records = Record.objects.select_related("institution")
    if not include_deleted:
        records = records.filter(deleted_at__isnull=True)
    record = records.filter(pk=record_id).first()
    if record is None:
        raise NotFound(f"record {record_id} not found")
    return record


def record_marc(record: Record) -> pymarc.Record:
    return iso2709_to_record(bytes(record.marc))


@dataclass
class MarcLine:
    tag: str
    indicators: str
    subfields: list[tuple[str, str]]
    data: str | None  # control field data


@dataclass
class RecordView:
    record: Record
    marc: pymarc.Record
    summary: RecordSummary
    holdings: list[Holding]
    imprint_years: dict | None  # {"gregorian": ..., "solar_hijri": ...} for Iranian imprints
    marc_lines: list[MarcLine]
    #: Every library holding this manifestation: the record's, its holdings', and its cluster's members'.
    held_by: list[Institution] = field(default_factory=list)
    #: The other live records of the record's cluster (the same book as catalogued elsewhere).
    cluster_records: list[Record] = field(default_factory=list)


def _marc_lines(marc: pymarc.Record) -> list[MarcLine]:
    lines = [MarcLine("LDR", "", [], str(marc.leader))]
    for f in marc.fields:
        if f.is_control_field():
            lines.append(MarcLine(f.tag, "", [], f.data))
        else:
            ind = "".join(i if i and i != " " else "#" for i in f.indicators)
            lines.append(MarcLine(f.tag, ind, [(s.code, s.value) for s in f.subfields], None))
    return lines


def _is_iranian_imprint(summary: RecordSummary, marc: pymarc.Record) -> bool:
    if "per" in summary.languages:
        return True
    f008 = marc.get("008")
    return bool(f008 and f008.data and f008.data[15:17] == "ir")


def record_view(record: Record) -> RecordView:
    marc = record_marc(record)
    summary = summarise(marc, record.flavour)
    years = describe_imprint_year(summary.date_text, summary.year) if _is_iranian_imprint(summary, marc) else None
    holdings = list(record.holdings.select_related("institution").order_by("institution__code", "call_number"))
    members = cluster_records_of([record])
    others = [r for r in members.get(record.pk, []) if r.pk != record.pk]
    return RecordView(record, marc, summary, holdings, years, _marc_lines(marc),
                      held_by=records_held_by([record])[record.pk], cluster_records=others)


def cluster_records_of(records: list[Record]) -> dict[int, list[Record]]:
    """record id → the live records of its cluster, oldest first (only for clustered records)."""
    cluster_ids = {r.cluster_id for r in records if r.cluster_id}
    if not cluster_ids:
        return {}
    by_cluster: dict[int, list[Record]] = {}
    members = (Record.objects.filter(cluster_id__in=cluster_ids, deleted_at__isnull=True)
               .select_related("institution").defer("marc").order_by("pk"))
    for member in members:
        by_cluster.setdefault(member.cluster_id, []).append(member)
    return {r.pk: by_cluster.get(r.cluster_id, []) for r in records if r.cluster_id}


_KIND_ORDER = {"national": 0, "provincial": 1, "partner": 2}


def records_held_by(records: list[Record]) -> dict[int, list[Institution]]:
    """record id → the libraries holding it: its own, its holdings', and every cluster member's.

    National library first, then provincial centres, then partners, each by name.
    """
    members = cluster_records_of(records)
    all_ids = {m.pk for r in records for m in members.get(r.pk, [r])}
    holding_rows = Holding.objects.filter(record_id__in=all_ids).values_list("record_id", "institution_id")
    by_record: dict[int, set[int]] = {}
    for record_id, institution_id in holding_rows:
        by_record.setdefault(record_id, set()).add(institution_id)
    wanted: dict[int, set[int]] = {}
    for r in records:
        group = members.get(r.pk, [r])
        wanted[r.pk] = {m.institution_id for m in group} | {i for m in group for i in by_record.get(m.pk, ())}
    institutions = Institution.objects.in_bulk({i for ids in wanted.values() for i in ids})
    return {
        pk: sorted((institutions[i] for i in ids), key=lambda inst: (_KIND_ORDER.get(inst.kind, 3), inst.name))
        for pk, ids in wanted.items()
    }


def record_versions(record: Record) -> QuerySet[RecordVersion]:
    return record.versions.select_related("changed_by", "institution").defer("marc").order_by("-version")


def record_version_diff(record: Record, version: int) -> list[FieldChange]:
    """What ``version`` changed compared with the version before it."""
    rows = {v.version: v for v in record.versions.filter(version__in=[version - 1, version])}
    if version not in rows:
        raise NotFound(f"record {record.pk} has no version {version}")
    before = iso2709_to_record(bytes(rows[version - 1].marc)) if version - 1 in rows else None
    return record_diff(before, iso2709_to_record(bytes(rows[version].marc)))


def marc_field_texts(marc: pymarc.Record) -> list[str]:
    return [field_text(f) for f in marc.fields]


@dataclass
class SearchPage:
    response: SearchResponse
    records: list[Record]
    institutions: dict[str, str]
    held_by: dict[int, list[Institution]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.response.total

    @property
    def pages(self) -> int:
        """Pages a reader can reach: the result window caps deep paging of huge result sets."""
        size = self.response.page_size or 1
        return max(1, min((self.response.total + size - 1) // size, MAX_RESULT_WINDOW // size))

    @property
    def beyond_window(self) -> bool:
        """True when the requested page lies past what the index pages to (the reader should refine)."""
        return self.response.page > self.pages


def record_search(request: SearchRequest) -> SearchPage:
    """Run a search and load the hits' rows in rank order (the index holds ids, the database the rest)."""
    response = search_backend().search(request)
    ids = [hit.record_id for hit in response.hits]
    by_id = Record.objects.select_related("institution").filter(deleted_at__isnull=True).in_bulk(ids)
    codes = {code for values in response.facets.get("institution", []) for code in [values[0]]}
    language = get_language() or ""
    names = {inst.code: inst.name_in(language.split("-")[0]) for inst in Institution.objects.filter(code__in=codes)}
    records = [by_id[i] for i in ids if i in by_id]
    return SearchPage(response, records, names, records_held_by(records))


def catalogue_counts() -> dict[str, int]:
    live = Record.objects.filter(deleted_at__isnull=True)
    return {
        "records": live.filter(kind="bibliographic").count(),
        "authorities": live.filter(kind="authority").count(),
        "institutions": Institution.objects.count(),
    }


def import_jobs_recent(limit: int = 20) -> QuerySet[ImportJob]:
    return ImportJob.objects.select_related("institution").order_by("-started_at")[:limit]

"""MARC file import: stream, decode, match, store in batches, then index.

Guarantees (docs/architecture.md, "How a record flows"):
- constant memory: records are read one at a time and stored ``IMPORT_BATCH_SIZE`` at a time;
- each batch is one transaction that also advances the job's resume point, so an interruption
  (Ctrl-C, a crash) loses at most the uncommitted batch and a re-run of the same file resumes after
  the last committed record instead of duplicating;
- a bad record is written to the job's rejections (file, record number, byte offset, field, reason)
  and the import goes on; nothing corrupt is stored;
- matching (001+003, then ISBN/ISSN) is scoped to the importing institution: an institution's import
  never overwrites another's record (cross-institution matching is the union catalogue's job).
"""

from __future__ import annotations

import csv
import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kitabkhana.accounts.models import Institution
from kitabkhana.accounts.services import institution_default
from kitabkhana.catalogue.models import ImportJob, ImportRejection, Record, RecordIdentifier, RecordVersion
from kitabkhana.catalogue.services.bulk import db_datetime, rows_insert
from kitabkhana.catalogue.services.indexing import (
    index_document,
    index_missing,
    index_rebuild,
    index_text_add,
    records_index,
    records_index_pending,
    search_backend,
)
from kitabkhana.catalogue.services.preparing import PreparedRecord, record_prepare
from kitabkhana.catalogue.signals import records_stored_send
from kitabkhana.core.errors import ValidationFailed
from kitabkhana.marc.errors import FileFormatError, MarcError, RecordError
from kitabkhana.marc.merge import merge_records
from kitabkhana.marc.profile import ProfileReport, load_profile, validate
from kitabkhana.marc.reader import ReadResult, detect_format, read_records
from kitabkhana.marc.writer import iso2709_to_record

log = logging.getLogger(__name__)

MATCH_RULES = ("skip", "replace", "merge")
FORMATS = ("iso2709", "marcxml")
FLAVOURS = ("marc21", "unimarc")
_LOOKUP_CHUNK = 500
# Identifiers that say two records describe the same edition (system numbers in 035 do not).
_MATCHING_SCHEMES = ("isbn", "issn")

ProgressCallback = Callable[[ImportJob, int], None]


@dataclass
class _Batch:
    results: list[ReadResult] = field(default_factory=list)

    def resume_point(self) -> tuple[int, int]:
        last = self.results[-1]
        return last.offset + last.length, last.number + 1


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sniff_format(path: Path) -> str:
    with path.open("rb") as fh:
        return detect_format(fh.read(4096))


def _job_for(
    *, path: Path, source_name: str, institution: Institution, fmt: str, flavour: str, match: str, user
) -> ImportJob:
    """The unfinished job for this very file and options (to resume), or a new one."""
    sha = _file_sha256(path)
    unfinished = (
        ImportJob.objects.filter(
            sha256=sha, institution=institution, format=fmt, flavour=flavour, match=match,
            status__in=[ImportJob.Status.RUNNING, ImportJob.Status.INTERRUPTED],
        )
        .order_by("-started_at")
        .first()
    )
    if unfinished:
        return unfinished
    return ImportJob.objects.create(
        institution=institution, source_name=source_name[:500], sha256=sha, size=path.stat().st_size,
        format=fmt, flavour=flavour, match=match, created_by=user,
    )


def _batches(results: Iterable[ReadResult], size: int) -> Iterator[_Batch]:
    batch = _Batch()
    for result in results:
        batch.results.append(result)
        if len(batch.results) >= size:
            yield batch
            batch = _Batch()
    if batch.results:
        yield batch


def _chunks(values: list, size: int = _LOOKUP_CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class _BatchWriter:
    """Stores one batch inside the caller's transaction; returns what to index after commit."""

    def __init__(self, job: ImportJob, institution: Institution, user, check_profile: bool = False):
        self.job = job
        self.institution = institution
        self.user = user
        # Aggregated as we go: a million-record file must not keep every message in memory.
        self.profile = ProfileReport() if check_profile else None
        self.note = f"import of {Path(job.source_name).name} (job {job.pk})"[:255]
        # Other records the last batch changed through the union catalogue (cluster membership).
        self.also_index: set[int] = set()
        # Record number in the source -> the record it became (created, updated or left unchanged).
        self.placed: dict[int, int] = {}

    def _reject(self, rejections: list[ImportRejection], result: ReadResult, error: Exception) -> None:
        fld = getattr(error, "field", None) or ""
        message = getattr(error, "message", None) or str(error)
        rejections.append(
            ImportRejection(
                job=self.job, record_number=result.number, field=str(fld)[:16], reason=message,
                # MARCXML has no byte offsets (iterparse gives lines; the message names the line).
                offset=result.offset if self.job.format == "iso2709" else None,
            )
        )

    def _existing_matches(self, prepared: list[tuple[ReadResult, PreparedRecord]]) -> tuple[dict, dict]:
        keys = sorted({p.control_key for _, p in prepared if p.control_key})
        by_key: dict[str, int] = {}
        for chunk in _chunks(keys):
            rows = Record.objects.filter(institution=self.institution, control_key__in=chunk, deleted_at__isnull=True)
            by_key.update(rows.values_list("control_key", "pk"))
        numbers = sorted({(s, v) for _, p in prepared if p.control_key not in by_key for s, v in p.identifiers
                          if s in _MATCHING_SCHEMES})
        by_identifier: dict[tuple[str, str], list[tuple[int, str]]] = {}
        for chunk in _chunks([v for _, v in numbers]):
            rows = RecordIdentifier.objects.filter(
                value__in=chunk, scheme__in=_MATCHING_SCHEMES, record__institution=self.institution,
                record__deleted_at__isnull=True,
            ).order_by("record_id")
            for scheme, value, record_id, key in rows.values_list("scheme", "value", "record_id",
                                                                  "record__control_key"):
                by_identifier.setdefault((scheme, value), []).append((record_id, key))
        return by_key, by_identifier

    def write(self, batch: _Batch) -> list[tuple[int, PreparedRecord]]:
        job = self.job
        rejections: list[ImportRejection] = []
        prepared: list[tuple[ReadResult, PreparedRecord]] = []
        for result in batch.results:
            if result.error is not None or result.record is None:
                self._reject(rejections, result, result.error or RecordError("unreadable record"))
                continue
            flavour = job.flavour or result.flavour or "marc21"
            try:
                p = record_prepare(result.record, flavour=flavour,
                                   utf8_iso2709=result.utf8_iso2709 if flavour == result.flavour else None)
                prepared.append((result, p))
                if self.profile is not None:
                    self.profile.add(validate(result.record, load_profile(flavour, p.kind)))
            except MarcError as exc:
                self._reject(rejections, result, exc)
            except Exception as exc:  # real files hold shapes no rule foresaw; reject the record, keep the import going
                log.warning("record %s of %s could not be prepared", result.number, job.source_name, exc_info=True)
                self._reject(rejections, result, RecordError(f"could not be read as a record: {type(exc).__name__}: {exc}"))

        by_key, by_identifier = self._existing_matches(prepared)
        creates: dict[str, PreparedRecord] = {}  # in-batch key ("003|001", or "#n" without one) -> record
        batch_identifiers: dict[tuple[str, str], str] = {}  # ISBN/ISSN -> in-batch key, for records without 001
        updates: dict[int, PreparedRecord] = {}
        skipped = 0
        matched: dict[int, int] = {}  # record number in the source -> the stored record it updates
        created: dict[int, str] = {}  # record number -> in-batch key of the record it creates or joins
        for n, (result, p) in enumerate(prepared):
            target = by_key.get(p.control_key) if p.control_key else None
            if target is None:
                target = _identifier_match(p, by_identifier)
            if target is not None:
                matched[result.number] = target
                if job.match == "skip":
                    skipped += 1
                else:
                    updates[target] = self._combine(updates.get(target), p, job.match) if target in updates else p
                continue
            key = p.control_key or next(
                (batch_identifiers[i] for i in p.identifiers if i in batch_identifiers), f"#{n}"
            )
            created[result.number] = key
            if key in creates:
                # The same record twice in one batch: the file's later copy is handled like a re-import.
                if job.match == "skip":
                    skipped += 1
                else:
                    creates[key] = self._combine(creates[key], p, job.match)
                continue
            creates[key] = p
            if not p.control_key:
                for identifier in p.identifiers:
                    if identifier[0] in _MATCHING_SCHEMES:
                        batch_identifiers.setdefault(identifier, key)

        to_index = self._create(list(creates.values()))
        ids_by_key = dict(zip(creates, (pk for pk, _ in to_index), strict=True))
        self.placed = {**matched, **{number: ids_by_key[key] for number, key in created.items()}}
        updated_ids, unchanged = self._update(updates)
        to_index += updated_ids
        # Records stored as read (not combined with another copy) are handed on parsed and summarised.
        as_read = {id(p): result.record for result, p in prepared}
        self.also_index = records_stored_send(
            sender=self, record_ids=[pk for pk, _ in to_index], institution_id=self.institution.pk,
            parsed={pk: (as_read[id(p)], p.summary) for pk, p in to_index if id(p) in as_read},
        )
        ImportRejection.objects.bulk_create(rejections)
        offset, number = batch.resume_point()
        ImportJob.objects.filter(pk=job.pk).update(
            next_offset=offset, next_number=number, read=F("read") + len(batch.results),
            created=F("created") + len(creates), updated=F("updated") + len(updated_ids),
            skipped=F("skipped") + skipped + unchanged, rejected=F("rejected") + len(rejections),
        )
        return to_index

    @staticmethod
    def _combine(earlier: PreparedRecord, later: PreparedRecord, match: str) -> PreparedRecord:
        if match == "replace":
            return later
        merged = merge_records(iso2709_to_record(earlier.marc), iso2709_to_record(later.marc))
        return record_prepare(merged, flavour=later.flavour)

    def _create(self, prepared: list[PreparedRecord]) -> list[tuple[int, PreparedRecord]]:
        if not prepared:
            return []
        now = db_datetime(timezone.now())
        institution_id = self.institution.pk
        columns = list(prepared[0].columns())
        ids = rows_insert(
            Record,
            [*columns, "institution", "version", "needs_index", "created_at", "updated_at"],
            [(*p.columns().values(), institution_id, 1, True, now, now) for p in prepared],
            returning=True,
        )
        user_id = self.user.pk if self.user is not None else None
        rows_insert(
            RecordVersion,
            ["record", "version", "marc", "action", "institution", "changed_by", "changed_at", "note"],
            [(pk, 1, p.marc, RecordVersion.Action.IMPORT.value, institution_id, user_id, now, self.note)
             for pk, p in zip(ids, prepared, strict=True)],
        )
        rows_insert(
            RecordIdentifier,
            ["record", "scheme", "value"],
            [(pk, scheme, value) for pk, p in zip(ids, prepared, strict=True) for scheme, value in p.identifiers],
        )
        return list(zip(ids, prepared, strict=True))

    def _update(self, updates: dict[int, PreparedRecord]) -> tuple[list[tuple[int, PreparedRecord]], int]:
        if not updates:
            return [], 0
        stored = Record.objects.in_bulk(list(updates))
        changed: list[tuple[Record, PreparedRecord]] = []
        unchanged = 0
        for record_id, p in updates.items():
            record = stored[record_id]
            if self.job.match == "merge":
                merged = merge_records(iso2709_to_record(bytes(record.marc)), iso2709_to_record(p.marc))
                p = record_prepare(merged, flavour=record.flavour)
            if bytes(record.marc) == p.marc:
                unchanged += 1  # a re-import of the same record adds no version
                continue
            columns = p.columns()
            columns.pop("flavour")
            for name, value in columns.items():
                setattr(record, name, value)
            record.version += 1
            record.needs_index = True
            record.updated_at = timezone.now()
            changed.append((record, p))
        if not changed:
            return [], unchanged
        fields = [*changed[0][1].columns().keys() - {"flavour"}, "version", "needs_index", "updated_at"]
        Record.objects.bulk_update([r for r, _ in changed], fields, batch_size=500)
        RecordVersion.objects.bulk_create([
            RecordVersion(record_id=r.pk, version=r.version, marc=p.marc, action=RecordVersion.Action.IMPORT,
                          institution=self.institution, changed_by=self.user, note=self.note)
            for r, p in changed
        ], batch_size=500)
        RecordIdentifier.objects.filter(record_id__in=[r.pk for r, _ in changed]).delete()
        RecordIdentifier.objects.bulk_create(
            [RecordIdentifier(record_id=r.pk, scheme=s, value=v) for r, p in changed for s, v in p.identifiers],
            batch_size=500,
        )
        return [(r.pk, p) for r, p in changed], unchanged


def _identifier_match(p: PreparedRecord, by_identifier: dict[tuple[str, str], list[tuple[int, str]]]) -> int | None:
    """A stored record sharing an ISBN/ISSN with ``p``, when that makes them the same record.

    Records from one source (same 003) with different 001s are different records even when they
    share an ISBN: volumes of a set, or a number reused by a publisher. So an ISBN only matches when
    ``p`` has no control number, or the stored record has none or came from another source.
    """
    agency = p.control_key.split("|", 1)[0] if p.control_key else None
    for identifier in p.identifiers:
        for record_id, stored_key in by_identifier.get(identifier, ()):
            if agency is None or not stored_key or stored_key.split("|", 1)[0] != agency:
                return record_id
    return None


def _index_batch(writer, stored: list[tuple[int, PreparedRecord]], institution_code: str,
                 also_index: set[int] = frozenset()) -> None:
    """Index a committed batch: records on their own straight from their summaries, clusters afresh."""
    if not stored and not also_index:
        return
    ids = [pk for pk, _ in stored]
    clustered: set[int] = set()
    for chunk in _chunks(ids):
        clustered.update(Record.objects.filter(pk__in=chunk, cluster__isnull=False).values_list("pk", flat=True))
    writer.upsert(index_text_add([
        index_document(record_id=pk, kind=p.kind, summary=p.summary, institution_codes=[institution_code])
        for pk, p in stored if pk not in clustered
    ]))
    if clustered or also_index:
        records_index(record_ids=sorted(clustered | set(also_index)), writer=writer)
    writer.commit()
    for chunk in _chunks(ids):
        Record.objects.filter(pk__in=chunk).update(needs_index=False)


def import_job_open(
    *, institution: Institution, source_name: str, format: str, flavour: str = "", match: str = "replace", user=None
) -> ImportJob:
    """A job for records that do not come from one file (a harvest run, copy cataloguing): counts and rejections."""
    if match not in MATCH_RULES:
        raise ValidationFailed(f"match {match!r}: expected one of {', '.join(MATCH_RULES)}")
    return ImportJob.objects.create(
        institution=institution, source_name=source_name[:500], sha256="", size=0, format=format,
        flavour=flavour, match=match, created_by=user,
    )


def import_job_reopen(*, job: ImportJob) -> None:
    """Mark a stopped job as running again (its source resumes where it stopped)."""
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, finished_at=None)


def import_job_finish(*, job: ImportJob, status: str, error: str = "") -> ImportJob:
    """Close a job opened with :func:`import_job_open` and write its rejection report."""
    ImportJob.objects.filter(pk=job.pk).update(status=status, finished_at=timezone.now(), error=error)
    write_rejection_report(job)
    job.refresh_from_db()
    return job


def records_store_batch(*, job: ImportJob, results: list[ReadResult], user=None) -> dict[int, int]:
    """Store already-read records as one batch of ``job`` (one transaction), then index them.

    For sources that are not files (an OAI-PMH harvest, a copy-cataloguing fetch): they read records
    themselves and account for them in an ImportJob of their own (counts, rejections by record number).
    Returns, for each result stored or matched (not rejected), its record number → the record it
    became, whether created, updated or left unchanged: how a harvester maps its identifiers.
    """
    writer_ = _BatchWriter(job, job.institution, user)
    batch = _Batch(results=list(results))
    with transaction.atomic():
        stored = writer_.write(batch) if results else []
    if stored or writer_.also_index:
        # After the caller's transaction commits (at once when there is none): a harvest stores a page inside
        # its own transaction, and a page that fails later must not leave its records in the index.
        def index() -> None:
            with search_backend().bulk() as index_writer:
                _index_batch(index_writer, stored, job.institution.code, writer_.also_index)

        transaction.on_commit(index)
    return writer_.placed


def write_rejection_report(job: ImportJob) -> Path:
    """A TSV of every rejected record (file, record number, byte offset, field, reason) beside the data."""
    reports = Path(settings.KITABKHANA["DATA_DIR"]) / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    path = reports / f"import-{job.pk}-rejected.tsv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, delimiter="\t", lineterminator="\n")
        out.writerow(["file", "record", "offset", "field", "reason"])
        for rej in job.rejections.order_by("record_number").iterator():
            out.writerow([job.source_name, rej.record_number, rej.offset, rej.field, rej.reason])
    ImportJob.objects.filter(pk=job.pk).update(report_path=str(path))
    return path


def marc_file_import(
    *,
    path: str | Path,
    institution: Institution | None = None,
    flavour: str | None = None,
    format: str | None = None,
    match: str = "skip",
    user=None,
    source_name: str | None = None,
    batch_size: int | None = None,
    progress: ProgressCallback | None = None,
    check_profile: bool = False,
) -> ImportJob:
    """Import one MARC file; returns the finished (or failed) job with its counts and report."""
    path = Path(path)
    if match not in MATCH_RULES:
        raise ValidationFailed(f"--match {match!r}: expected one of {', '.join(MATCH_RULES)}")
    if flavour and flavour not in FLAVOURS:
        raise ValidationFailed(f"--flavour {flavour!r}: expected one of {', '.join(FLAVOURS)}")
    if format and format not in FORMATS:
        raise ValidationFailed(f"--format {format!r}: expected one of {', '.join(FORMATS)}")
    if not path.is_file():
        raise ValidationFailed(f"{path}: no such file")
    institution = institution or institution_default()
    source = source_name or str(path)
    try:
        fmt = format or _sniff_format(path)
    except FileFormatError as exc:
        job = ImportJob.objects.create(
            institution=institution, source_name=source[:500], sha256=_file_sha256(path), size=path.stat().st_size,
            format=format or "", flavour=flavour or "", match=match, created_by=user,
            status=ImportJob.Status.FAILED, error=f"{source}: {exc}", finished_at=timezone.now(),
        )
        return job

    # Anything a crash left unindexed goes in first, so the index matches the database before we add to it.
    if index_missing():
        index_rebuild()
    records_index_pending()
    job = _job_for(path=path, source_name=source, institution=institution, fmt=fmt, flavour=flavour or "",
                   match=match, user=user)
    if job.status == ImportJob.Status.INTERRUPTED:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    writer_ = _BatchWriter(job, institution, user, check_profile=check_profile)
    size = batch_size or settings.KITABKHANA["IMPORT_BATCH_SIZE"]
    results = read_records(
        path, format=fmt, flavour=flavour or None, name=source,
        start_offset=job.next_offset, start_number=job.next_number,
    )
    try:
        with search_backend().bulk() as index_writer:
            for batch in _batches(results, size):
                with transaction.atomic():
                    stored = writer_.write(batch)
                _index_batch(index_writer, stored, institution.code, writer_.also_index)
                if progress:
                    job.refresh_from_db()
                    progress(job, batch.resume_point()[0])
    except FileFormatError as exc:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED, error=str(exc), finished_at=timezone.now()
        )
    except BaseException:
        # Ctrl-C or a crash: the open batch rolled back; the job keeps its resume point for the next run.
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.INTERRUPTED)
        write_rejection_report(job)
        raise
    else:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.DONE, finished_at=timezone.now(),
            profile_report=writer_.profile.as_dict() if writer_.profile is not None else None,
        )
    write_rejection_report(job)
    job.refresh_from_db()
    return job

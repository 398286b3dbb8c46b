"""Harvest writes: sources, runs (ListRecords page by page into the catalogue), due runs for the scheduler.

A run (``harvest_run``) is one ListRecords walk of a source. Each page is one transaction: its records
go through the catalogue's ``records_store_batch`` (matched by 003|001 within the source's institution,
versioned, indexed), its deleted headers withdraw the mapped records (``record_delete``), the OAI
identifier ↔ record mapping is upserted, and the run's counters and the next resumption token are
saved. Small pages are grouped (whole pages, ``HARVEST_BATCH_RECORDS``) into one such transaction.
A crash loses at most the open group; ``resume=True`` continues after the last stored page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlparse

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kitabkhana.accounts.models import Institution
from kitabkhana.catalogue.models import ImportJob, Record
from kitabkhana.catalogue.services.importing import (
    import_job_finish,
    import_job_open,
    import_job_reopen,
    records_store_batch,
)
from kitabkhana.catalogue.services.records import record_delete
from kitabkhana.core.errors import ConcurrentEdit, ValidationFailed
from kitabkhana.harvest import selectors
from kitabkhana.harvest.client import (
    ClientLimits,
    HarvestError,
    OaiClient,
    OaiError,
    OaiPage,
    OaiRecord,
    format_datestamp,
    parse_datestamp,
)
from kitabkhana.harvest.models import HarvestedRecord, HarvestRun, HarvestSource, MetadataPrefix
from kitabkhana.marc.errors import RecordError
from kitabkhana.marc.reader import ACCEPTED_NAMESPACES, ReadResult, xml_element_result

log = logging.getLogger(__name__)

ERRORS_KEPT = 500
NOT_IMPORTABLE = {
    "oai_dc": "oai_dc is Dublin Core: it cannot become a MARC record; ask the provider for marc21 or unimarc",
    "marcxml": "say marc21 (Kitabkhana's name for MARCXML); the provider's own prefix name is not needed",
}
ProgressCallback = Callable[[HarvestRun], None]


# --------------------------------------------------------------------------- sources


def _source_clean(*, code: str, base_url: str, metadata_prefix: str, every_hours: int | None) -> None:
    if not code or not all(c.isalnum() or c in "-_" for c in code):
        raise ValidationFailed(f"source code {code!r}: use letters, digits, '-' and '_' only")
    parsed = urlparse(base_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValidationFailed(f"base URL {base_url!r}: expected an http:// or https:// address")
    if metadata_prefix not in MetadataPrefix.values:
        reason = NOT_IMPORTABLE.get(metadata_prefix, f"expected one of {', '.join(MetadataPrefix.values)}")
        raise ValidationFailed(f"metadataPrefix {metadata_prefix!r} is not importable: {reason}")
    if every_hours is not None and every_hours < 1:
        raise ValidationFailed(f"schedule: every {every_hours} hours: give at least 1 (or no schedule)")


@transaction.atomic
def harvest_source_create(
    *, code: str, base_url: str, institution: Institution, metadata_prefix: str = MetadataPrefix.MARC21,
    name: str = "", set_spec: str = "", every_hours: int | None = None, enabled: bool = True,
) -> HarvestSource:
    code, base_url = code.strip(), base_url.strip()
    _source_clean(code=code, base_url=base_url, metadata_prefix=metadata_prefix, every_hours=every_hours)
    if HarvestSource.objects.filter(code=code).exists():
        raise ValidationFailed(f"a harvest source with code {code!r} already exists")
    return HarvestSource.objects.create(
        code=code, base_url=base_url, institution=institution, metadata_prefix=metadata_prefix,
        name=name.strip() or code, set_spec=set_spec.strip(), every_hours=every_hours, enabled=enabled,
    )


@transaction.atomic
def harvest_source_update(
    *, source: HarvestSource, base_url: str, institution: Institution, metadata_prefix: str, name: str = "",
    set_spec: str = "", every_hours: int | None = None, enabled: bool = True,
) -> HarvestSource:
    base_url = base_url.strip()
    _source_clean(code=source.code, base_url=base_url, metadata_prefix=metadata_prefix, every_hours=every_hours)
    changed_list = (base_url, metadata_prefix, set_spec.strip()) != (source.base_url, source.metadata_prefix,
                                                                     source.set_spec)
    source.base_url, source.institution, source.metadata_prefix = base_url, institution, metadata_prefix
    source.name, source.set_spec, source.every_hours, source.enabled = (name.strip() or source.code,
                                                                        set_spec.strip(), every_hours, enabled)
    if changed_list:
        # Another list (provider, format or set): "changed since" the old one means nothing for it.
        source.harvested_until = None
        source.granularity = ""
    source.save()
    return source


# --------------------------------------------------------------------------- runs


def harvest_client(*, source: HarvestSource, log_to: Callable[[str], None] | None = None) -> OaiClient:
    """A client with the limits from settings (KITABKHANA["HARVEST_*"]), all optional."""
    conf = settings.KITABKHANA
    defaults = ClientLimits()
    limits = ClientLimits(**{
        name: conf.get(f"HARVEST_{name.upper()}", getattr(defaults, name)) for name in defaults.__dataclass_fields__
    })
    return OaiClient(source.base_url, limits=limits, log=log_to)


def _close_stale_runs(source: HarvestSource) -> None:
    """A run still "running" whose heartbeat stopped died with its process: mark it interrupted (resumable)."""
    minutes = settings.KITABKHANA.get("HARVEST_STALE_MINUTES", 30)
    cutoff = timezone.now() - timedelta(minutes=minutes)
    HarvestRun.objects.filter(source=source, status=HarvestRun.Status.RUNNING, heartbeat_at__lt=cutoff).update(
        status=HarvestRun.Status.INTERRUPTED
    )


def _log(run: HarvestRun, message: str, page: int | None = None) -> None:
    if len(run.errors) < ERRORS_KEPT:
        run.errors.append({"at": timezone.now().isoformat(timespec="seconds"), "page": page, "message": message})
    elif len(run.errors) == ERRORS_KEPT:
        run.errors.append({"at": timezone.now().isoformat(timespec="seconds"), "page": page,
                           "message": "further messages left out (see the import job's rejections)"})


def _run_start(*, source: HarvestSource, from_: str, until: str, resume: bool, user) -> HarvestRun:
    """The run to (re)start, claimed under a row lock so two processes cannot harvest one source at once."""
    with transaction.atomic():
        HarvestSource.objects.select_for_update().filter(pk=source.pk).first()
        _close_stale_runs(source)
        running = source.runs.filter(status=HarvestRun.Status.RUNNING).first()
        if running is not None:
            raise ValidationFailed(f"{source.code} is already being harvested (run {running.pk}, started "
                                   f"{running.started_at:%Y-%m-%d %H:%M})")
        if resume:
            run = selectors.harvest_run_resumable(source=source)
            if run is None:
                raise ValidationFailed(f"{source.code}: nothing to resume (the last run did not stop with a "
                                       "resumption token); harvest without --resume")
            run.status = HarvestRun.Status.RUNNING
            run.finished_at = None
            _log(run, f"resumed at resumption token {run.resumption_token!r}")
            run.save(update_fields=["status", "finished_at", "errors", "heartbeat_at"])
            import_job_reopen(job=run.import_job)
            return run
        run = HarvestRun.objects.create(source=source, from_date=from_, until_date=until)
        run.import_job = import_job_open(
            institution=source.institution, source_name=f"harvest:{source.code} run {run.pk}",
            format="marcxml", flavour=source.metadata_prefix, match="replace", user=user,
        )
        run.save(update_fields=["import_job"])
        return run


def harvest_run(
    *, source: HarvestSource, from_: str | None = None, until: str | None = None, resume: bool | str = False,
    progress: ProgressCallback | None = None, client: OaiClient | None = None, user=None,
) -> HarvestRun:
    """Harvest ``source`` into the catalogue; returns the finished run (done, failed or, on Ctrl-C, interrupted).

    ``from_`` defaults to the provider's responseDate at the start of the last successful run (an
    incremental harvest); ``until`` is optional. ``resume`` continues the last failed or interrupted run
    from its saved resumption token (same run, same counts); ``resume="auto"`` (scheduled runs) does so
    when there is such a run and starts a new one otherwise. Provider and protocol errors do not raise:
    they end the run as failed with the message in ``run.errors``.
    """
    from_, until = _date_argument("--from", from_), _date_argument("--until", until)
    if resume == "auto":
        resume = selectors.harvest_run_resumable(source=source) is not None
    messages: list[str] = []
    if client is None:
        client = harvest_client(source=source, log_to=messages.append)
    else:
        client.log = messages.append
    run = _run_start(source=source, from_=from_ or "", until=until or "", resume=resume, user=user)
    job = run.import_job = ImportJob.objects.get(pk=run.import_job_id)
    try:
        if not resume:
            _identify(run, source, client)
            if not from_ and source.harvested_until:
                run.from_date = format_datestamp(source.harvested_until, source.granularity)
            run.save(update_fields=["from_date", "heartbeat_at"])
        pages = client.list_records(
            metadata_prefix=source.metadata_prefix, set_spec=source.set_spec, from_=run.from_date,
            until=run.until_date, resumption_token=run.resumption_token or None,
        )
        # Small pages are stored together (whole pages only, so the saved token is still a page boundary):
        # a transaction and an index commit per 200-record page would cost more than the records.
        batch_records = int(settings.KITABKHANA.get("HARVEST_BATCH_RECORDS", 1000))
        batch_seconds = float(settings.KITABKHANA.get("HARVEST_BATCH_SECONDS", 30))
        group: list[OaiPage] = []
        started = time.monotonic()

        def store() -> None:
            nonlocal group, started
            _page_store(run=run, job=job, page=_merged(group), pages=len(group), messages=messages)
            group, started = [], time.monotonic()
            if progress:
                progress(run)

        try:
            for page in pages:
                group.append(page)
                if (page.resumption_token and sum(len(p.records) for p in group) < batch_records
                        and time.monotonic() - started < batch_seconds):
                    continue
                store()
        except HarvestError:
            if group:
                store()  # the pages before the failure are good: keep them, and the token after them
            raise
    except HarvestError as exc:
        for message in messages:
            _log(run, message, run.pages + 1)
        hint = ""
        if isinstance(exc, OaiError) and exc.code == "badResumptionToken":
            hint = " (the provider no longer accepts the saved token: harvest again without --resume)"
        _log(run, f"{exc}{hint}", run.pages + 1)
        _run_finish(run, job, HarvestRun.Status.FAILED)
    except BaseException:
        # Ctrl-C or a crash: the open page rolled back; the run keeps its token for --resume.
        run.refresh_from_db()
        _log(run, "interrupted; run with --resume to continue after the last stored page", run.pages + 1)
        _run_finish(run, job, HarvestRun.Status.INTERRUPTED)
        raise
    else:
        _run_finish(run, job, HarvestRun.Status.DONE)
        if not run.until_date and run.response_date:
            HarvestSource.objects.filter(pk=source.pk).update(harvested_until=run.response_date)
            source.harvested_until = run.response_date
    return run


def _date_argument(label: str, value: str | None) -> str:
    """A --from/--until value in OAI's UTC form (the day as given, or seconds with the Z providers require)."""
    if not value:
        return ""
    try:
        moment = parse_datestamp(value)
    except ValueError:
        raise ValidationFailed(f"{label} {value!r}: expected YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ") from None
    return value.strip() if len(value.strip()) == 10 else format_datestamp(moment, "YYYY-MM-DDThh:mm:ssZ")


def _identify(run: HarvestRun, source: HarvestSource, client: OaiClient) -> None:
    """Learn the provider's granularity (the form from/until must take); its clock starts the run."""
    identify = client.identify()
    if identify.granularity != source.granularity:
        HarvestSource.objects.filter(pk=source.pk).update(granularity=identify.granularity)
        source.granularity = identify.granularity
    if identify.response_date:
        run.response_date = _datestamp_or_none(identify.response_date)
    if run.from_date and identify.granularity == "YYYY-MM-DD" and len(run.from_date) > 10:
        run.from_date = run.from_date[:10]
    if run.until_date and identify.granularity == "YYYY-MM-DD" and len(run.until_date) > 10:
        run.until_date = run.until_date[:10]
    run.save(update_fields=["response_date", "from_date", "until_date", "heartbeat_at"])


def _datestamp_or_none(value: str):
    try:
        return parse_datestamp(value)
    except ValueError:
        return None


def _run_finish(run: HarvestRun, job: ImportJob, status: str) -> None:
    run.status = status
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at", "errors", "heartbeat_at"])
    job_status = {HarvestRun.Status.DONE: ImportJob.Status.DONE, HarvestRun.Status.FAILED: ImportJob.Status.FAILED,
                  HarvestRun.Status.INTERRUPTED: ImportJob.Status.INTERRUPTED}[status]
    last_error = run.errors[-1]["message"] if status == HarvestRun.Status.FAILED and run.errors else ""
    import_job_finish(job=job, status=job_status, error=last_error)
    job.refresh_from_db()


# --------------------------------------------------------------------------- one page


def _read_result(record: OaiRecord, number: int, flavour: str) -> ReadResult:
    """The OAI record's metadata as the catalogue's ReadResult; an unusable one as a rejection naming it."""
    identifier = record.header.identifier
    if record.error is not None:
        return _rejected(number, record.error if identifier and identifier in record.error
                         else f"{identifier}: {record.error}")
    element = record.metadata
    tag = element.tag if isinstance(element.tag, str) else ""
    namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    if local != "record" or namespace not in ACCEPTED_NAMESPACES:
        return _rejected(number, f"{identifier}: the metadata is <{tag}>, not a MARCXML record (wrong "
                                 "metadataPrefix, or a namespace the catalogue does not read)")
    result = xml_element_result(element, identifier, number, flavour, "utf-8")
    if result.error is not None:
        result.error = RecordError(f"{identifier}: {result.error.message}", record_number=number)
    return result


def _rejected(number: int, message: str) -> ReadResult:
    return ReadResult(number, 0, 0, None, None, None, RecordError(message, record_number=number))


def _merged(pages: list[OaiPage]) -> OaiPage:
    if len(pages) == 1:
        return pages[0]
    last = pages[-1]
    return OaiPage(url=last.url, response_date=pages[0].response_date,
                   records=[r for p in pages for r in p.records], resumption_token=last.resumption_token,
                   complete_list_size=next((p.complete_list_size for p in reversed(pages)
                                             if p.complete_list_size is not None), None), cursor=last.cursor)


def _page_store(*, run: HarvestRun, job: ImportJob, page: OaiPage, pages: int, messages: list[str]) -> None:
    """Store ``page`` (``pages`` provider pages merged) in one transaction, with the token that follows it."""
    source = run.source
    flavour = source.metadata_prefix
    first_number = run.records + 1
    # An identifier can come more than once in a page (changed, then deleted): its last entry is its state.
    last_entry = {r.header.identifier: n for n, r in enumerate(page.records) if r.header.identifier}
    live: list[tuple[OaiRecord, ReadResult]] = []
    deleted: dict[str, OaiRecord] = {}
    for n, record in enumerate(page.records):
        if record.header.identifier and last_entry[record.header.identifier] != n:
            continue
        if record.header.deleted and record.error is None:
            deleted[record.header.identifier] = record
        else:
            live.append((record, _read_result(record, first_number + n, flavour)))
    identifiers = [r.header.identifier for r, _ in live if r.header.identifier] + list(deleted)
    existing = selectors.harvested_record_ids(source=source, identifiers=identifiers)

    with transaction.atomic():
        # The catalogue says which record each result became (created, updated or unchanged), with or
        # without a 001: that is the identifier mapping.
        placed = records_store_batch(job=job, results=[result for _, result in live], user=job.created_by)
        resolved: dict[str, int | None] = {
            record.header.identifier: placed[result.number] for record, result in live if result.number in placed
        }

        deletions, ignored = _withdraw(run, deleted, existing)
        _supersede(run, resolved, existing)
        _mappings_save(source, page, resolved, deleted, existing)

        job.refresh_from_db()
        for rejection in selectors.rejections_in(job=job, first=first_number, last=first_number + len(page.records)):
            identifier = page.records[rejection.record_number - first_number].header.identifier
            reason = rejection.reason
            _log(run, reason if identifier and reason.startswith(identifier) else f"{identifier}: {reason}",
                 run.pages + 1)
        for message in messages:
            _log(run, message, run.pages + 1)
        messages.clear()
        if run.response_date is None and page.response_date:
            run.response_date = _datestamp_or_none(page.response_date)
        run.pages += pages
        run.records += len(page.records)
        run.deleted += deletions
        run.deletions_ignored += ignored
        run.new, run.updated, run.unchanged, run.rejected = job.created, job.updated, job.skipped, job.rejected
        run.resumption_token = page.resumption_token or ""
        if page.complete_list_size is not None:
            run.complete_list_size = page.complete_list_size
        run.save()


def _withdraw(run: HarvestRun, deleted: dict[str, OaiRecord], existing: dict[str, int | None]) -> tuple[int, int]:
    """Withdraw the records behind deleted headers; a deletion of something we never had is counted, not an error."""
    record_ids = [existing[i] for i in deleted if existing.get(i)]
    live = {r.pk: r for r in Record.objects.filter(pk__in=record_ids, deleted_at__isnull=True)}
    done = ignored = 0
    for identifier in deleted:
        record = live.get(existing.get(identifier) or 0)
        if record is None:
            ignored += 1
            continue
        note = f"deleted at the provider: harvest {run.source.code} run {run.pk} ({identifier})"
        try:
            record_delete(record=record, expected_version=record.version, note=note)
        except ConcurrentEdit:
            record.refresh_from_db()
            record_delete(record=record, expected_version=record.version, note=note)
        done += 1
    return done, ignored


def _supersede(run: HarvestRun, resolved: dict[str, int | None], existing: dict[str, int | None]) -> None:
    """An OAI identifier that now leads to another record (renumbered 001, or a record without 001 or
    ISBN that the catalogue could not match) leaves its previous record behind: withdraw it, so one
    provider record is one catalogue record."""
    moved = {identifier: (existing[identifier], record_id) for identifier, record_id in resolved.items()
             if record_id and existing.get(identifier) and existing[identifier] != record_id}
    if not moved:
        return
    live = {r.pk: r for r in Record.objects.filter(pk__in=[old for old, _ in moved.values()], deleted_at__isnull=True)}
    for identifier, (old, new) in moved.items():
        if old in live:
            record_delete(record=live[old], expected_version=live[old].version,
                          note=f"replaced by record {new} (same OAI identifier {identifier})")
            _log(run, f"{identifier}: now record {new}; its previous record {old} was withdrawn", run.pages + 1)


def _mappings_save(source: HarvestSource, page: OaiPage, resolved: dict[str, int | None],
                   deleted: dict[str, OaiRecord], existing: dict[str, int | None]) -> None:
    rows: dict[str, HarvestedRecord] = {}
    now = timezone.now()
    for record in reversed(page.records):  # the last entry of an identifier is its state
        identifier = record.header.identifier
        if not identifier or rows.get(identifier):
            continue
        if identifier in deleted:
            record_id, is_deleted = existing.get(identifier), True
        elif resolved.get(identifier):
            record_id, is_deleted = resolved[identifier], False
        else:
            continue  # rejected: the mapping (if any) stays as it was
        rows[identifier] = HarvestedRecord(source=source, identifier=identifier[:255], record_id=record_id,
                                           datestamp=record.header.datestamp[:32], deleted=is_deleted, updated_at=now)
    if rows:
        HarvestedRecord.objects.bulk_create(
            list(rows.values()), update_conflicts=True, unique_fields=["source", "identifier"],
            update_fields=["record", "datestamp", "deleted", "updated_at"], batch_size=500,
        )


# --------------------------------------------------------------------------- scheduling


def harvests_enqueue_due(*, now=None) -> list[str]:
    """Queue a ``harvest.run`` task for every enabled source whose schedule is due and that is not running."""
    from kitabkhana.tasks.services import task_enqueue

    queued = []
    for source in selectors.harvest_sources_due(now=now):
        if selectors.harvest_task_pending(source=source):
            continue
        task_enqueue(name="harvest.run", arguments={"source": source.code, "resume": "auto"})
        queued.append(source.code)
    return queued


def harvests_schedule() -> None:
    """The scheduled job (kitabkhana.tasks.scheduler, every KITABKHANA["HARVEST_SCHEDULER_INTERVAL"] s)."""
    queued = harvests_enqueue_due()
    if queued:
        log.info("scheduled harvests queued: %s", ", ".join(queued))

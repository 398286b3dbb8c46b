"""Harvest reads: sources with their last run, runs, what is due, and the lookups a page store needs."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from kitabkhana.catalogue.models import ImportJob, ImportRejection
from kitabkhana.core.errors import NotFound
from kitabkhana.harvest.models import HarvestedRecord, HarvestRun, HarvestSource

_LOOKUP_CHUNK = 500


def harvest_source_get(*, code: str) -> HarvestSource:
    source = HarvestSource.objects.select_related("institution").filter(code=code).first()
    if source is None:
        known = ", ".join(HarvestSource.objects.values_list("code", flat=True)[:20]) or "none yet"
        raise NotFound(f"no harvest source {code!r} (known: {known}); add one with `kitabkhana harvest-source add`")
    return source


def harvest_sources() -> list[HarvestSource]:
    """Every source with ``last_run`` (its newest run, or None) attached."""
    sources = list(HarvestSource.objects.select_related("institution").annotate(
        last_run_id=Subquery(HarvestRun.objects.filter(source=OuterRef("pk")).order_by("-started_at", "-id")
                             .values("pk")[:1])
    ))
    runs = HarvestRun.objects.in_bulk([s.last_run_id for s in sources if s.last_run_id])
    for source in sources:
        source.last_run = runs.get(source.last_run_id)
    return sources


def harvest_run_get(*, run_id: int) -> HarvestRun:
    run = HarvestRun.objects.select_related("source", "source__institution", "import_job").filter(pk=run_id).first()
    if run is None:
        raise NotFound(f"no harvest run {run_id}")
    return run


def harvest_runs(*, source: HarvestSource, limit: int = 50) -> QuerySet[HarvestRun]:
    return source.runs.all()[:limit]


def harvest_run_resumable(*, source: HarvestSource) -> HarvestRun | None:
    """The source's newest run when it failed or was interrupted with a resumption token to go on from."""
    last = source.runs.order_by("-started_at", "-id").first()
    if last is None or last.status not in (HarvestRun.Status.FAILED, HarvestRun.Status.INTERRUPTED):
        return None
    return last if last.resumption_token else None


def harvested_record_ids(*, source: HarvestSource, identifiers: list[str]) -> dict[str, int | None]:
    """OAI identifier → catalogue record id, for the identifiers of ``source`` seen before."""
    found: dict[str, int | None] = {}
    unique = sorted(set(identifiers))
    for start in range(0, len(unique), _LOOKUP_CHUNK):
        rows = HarvestedRecord.objects.filter(source=source, identifier__in=unique[start:start + _LOOKUP_CHUNK])
        found.update(rows.values_list("identifier", "record_id"))
    return found


def rejections_in(*, job: ImportJob, first: int, last: int) -> QuerySet[ImportRejection]:
    return job.rejections.filter(record_number__gte=first, record_number__lt=last).order_by("record_number")


def harvest_sources_due(*, now: datetime | None = None) -> list[HarvestSource]:
    """Enabled, scheduled sources whose last run started at least ``every_hours`` ago (or never ran)."""
    now = now or timezone.now()
    due = []
    sources = HarvestSource.objects.filter(enabled=True, every_hours__isnull=False).annotate(
        last_started=Subquery(HarvestRun.objects.filter(source=OuterRef("pk")).order_by("-started_at")
                              .values("started_at")[:1])
    )
    for source in sources:
        if source.last_started is None or source.last_started + timedelta(hours=source.every_hours) <= now:
            due.append(source)
    return due


def harvest_task_pending(*, source: HarvestSource) -> bool:
    """Whether the source is being harvested or has a harvest queued (so the scheduler does not double it)."""
    from kitabkhana.tasks.selectors import task_pending

    if source.runs.filter(status=HarvestRun.Status.RUNNING).exists():
        return True
    return task_pending(name="harvest.run", source=source.code)

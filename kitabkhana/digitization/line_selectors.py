"""Reads of the digitization lines for staff pages and the command line: projects, items with their pages,
QA findings and stage history, and the figures per line (items per stage and pages, per day).

Kept apart from ``selectors`` (the access rule and the reading faces' reads) so the two grow independently.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate

from kitabkhana.core.errors import NotFound
from kitabkhana.digitization.models import Batch, DigitalItem, Page, Project, QaFinding, StageEvent

# The staff pages read projects and pages as the IIIF face does.
from kitabkhana.digitization.selectors import item_pages, project_get  # noqa: F401


def projects() -> QuerySet[Project]:
    return Project.objects.select_related("institution").order_by("code")


def item_get(*, item_id: int) -> DigitalItem:
    item = (DigitalItem.objects.select_related("project__institution", "record", "holding", "batch")
            .filter(pk=item_id).first())
    if item is None:
        raise NotFound(f"no digitized item {item_id}")
    return item


def project_items(project: Project) -> QuerySet[DigitalItem]:
    return (DigitalItem.objects.filter(project=project).select_related("record", "batch")
            .annotate(page_count=Count("pages", distinct=True),
                      blocking_count=Count("qa_findings", filter=Q(qa_findings__blocking=True), distinct=True))
            .order_by("id"))


def item_findings(item: DigitalItem) -> QuerySet[QaFinding]:
    return item.qa_findings.select_related("page").order_by("-blocking", "page__order", "source_name", "id")


def item_events(item: DigitalItem) -> QuerySet[StageEvent]:
    return item.events.select_related("user").order_by("at", "id")


@dataclass
class ProjectFigures:
    """A line at a glance: items in each stage now, pages ingested, items held by blocking QA findings."""

    project: Project
    stages: dict[str, int]
    items: int
    pages: int
    blocked: int
    batches: int


def project_figures(project: Project | None = None) -> list[ProjectFigures]:
    chosen = [project] if project is not None else list(projects())
    ids = [p.pk for p in chosen]
    stages: dict[int, dict[str, int]] = {pk: {s: 0 for s in DigitalItem.Stage.values} for pk in ids}
    for row in DigitalItem.objects.filter(project_id__in=ids).values("project_id", "stage").annotate(n=Count("id")):
        stages[row["project_id"]][row["stage"]] = row["n"]
    pages = dict(Page.objects.filter(item__project_id__in=ids).values_list("item__project_id")
                 .annotate(n=Count("id")).values_list("item__project_id", "n"))
    blocked = dict(DigitalItem.objects.filter(project_id__in=ids, qa_findings__blocking=True)
                   .values("project_id").annotate(n=Count("id", distinct=True)).values_list("project_id", "n"))
    batches = dict(Batch.objects.filter(project_id__in=ids).values("project_id").annotate(n=Count("id"))
                   .values_list("project_id", "n"))
    return [ProjectFigures(project=p, stages=stages[p.pk], items=sum(stages[p.pk].values()),
                           pages=pages.get(p.pk, 0), blocked=blocked.get(p.pk, 0), batches=batches.get(p.pk, 0))
            for p in chosen]


@dataclass
class DayFigures:
    """One day of one line: items that entered each stage that day, and pages ingested."""

    day: dt.date
    project: str
    stages: dict[str, int]
    pages: int

    def as_dict(self) -> dict:
        return {"day": self.day.isoformat(), "project": self.project, "stages": self.stages, "pages": self.pages}


def figures_per_day(*, project: Project | None = None, since: dt.date | None = None) -> list[DayFigures]:
    """Items per stage and pages per day, per project, newest day first (days with nothing are left out).

    An item counts once per stage and day however often it moved; pages count when their image was made.
    """
    events = StageEvent.objects.all()
    page_rows = Page.objects.all()
    if project is not None:
        events = events.filter(item__project=project)
        page_rows = page_rows.filter(item__project=project)
    if since is not None:
        events = events.filter(at__date__gte=since)
        page_rows = page_rows.filter(image__created_at__date__gte=since)
    days: dict[tuple[dt.date, str], DayFigures] = {}

    def day_of(day: dt.date, code: str) -> DayFigures:
        key = (day, code)
        if key not in days:
            days[key] = DayFigures(day, code, {s: 0 for s in DigitalItem.Stage.values}, 0)
        return days[key]

    for row in (events.annotate(day=TruncDate("at")).values("day", "item__project__code", "stage")
                .annotate(n=Count("item", distinct=True))):
        day_of(row["day"], row["item__project__code"]).stages[row["stage"]] = row["n"]
    for row in (page_rows.annotate(day=TruncDate("image__created_at")).values("day", "item__project__code")
                .annotate(n=Count("id"))):
        day_of(row["day"], row["item__project__code"]).pages = row["n"]
    return sorted(days.values(), key=lambda d: (-d.day.toordinal(), d.project))

"""Background tasks of harvesting (run through kitabkhana.tasks; safe to run twice: a second run of a
source already being harvested is refused by ``harvest_run``, and a re-harvested page adds nothing)."""

from __future__ import annotations

from kitabkhana.core.errors import ValidationFailed
from kitabkhana.harvest.models import HarvestRun
from kitabkhana.harvest.selectors import harvest_source_get
from kitabkhana.harvest.services import harvest_run
from kitabkhana.tasks.registry import task


@task("harvest.run")
def harvest_run_task(*, progress, source: str, resume: bool | str = "auto", from_: str | None = None,
                     until: str | None = None, user_id: int | None = None) -> dict:
    from django.contrib.auth import get_user_model

    harvest_source = harvest_source_get(code=source)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None

    def report(run: HarvestRun) -> None:
        if run.complete_list_size:
            progress.set_total(run.complete_list_size)
        progress.advance(run.records, f"{run.pages} pages: {run.records} records, {run.new} new, "
                                      f"{run.updated} updated, {run.deleted} deleted, {run.rejected} rejected")

    try:
        run = harvest_run(source=harvest_source, resume=resume, from_=from_, until=until, progress=report, user=user)
    except ValidationFailed as exc:
        # Already running (the scheduler raced a staff click): nothing to do, and not a failure of this task.
        return {"source": source, "status": "skipped", "reason": str(exc)}
    return run.summary()

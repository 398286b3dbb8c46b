"""Harvest OAI-PMH sources into the catalogue.

  kitabkhana harvest SOURCE [--from DATE] [--until DATE] [--resume] [--json]
  kitabkhana harvest --due [--json]

Without --from the harvest is incremental: it asks for what changed since the provider's responseDate
at the start of the last successful run (the provider's clock). --resume continues the last failed or
interrupted run from its last stored page (its resumption token). --due runs every enabled source
whose schedule (every N hours) is due, resuming a failed run when it can: for cron.
A progress bar (records, pages, and the provider's completeListSize when given) goes to stderr;
--json prints the run summary (counts new/updated/deleted/rejected, errors, status) as one JSON object.
Exit status: 0 when every run finished, 1 when one failed.
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kitabkhana.core.errors import NotFound, ValidationFailed
from kitabkhana.harvest.models import HarvestRun, HarvestSource
from kitabkhana.harvest.selectors import harvest_source_get, harvest_sources_due, harvest_task_pending
from kitabkhana.harvest.services import harvest_run


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser) -> None:
        parser.add_argument("source", nargs="?", metavar="SOURCE", help="code of the harvest source")
        parser.add_argument("--from", dest="from_", metavar="DATE", help="YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ")
        parser.add_argument("--until", metavar="DATE")
        parser.add_argument("--resume", action="store_true", help="continue the last failed or interrupted run")
        parser.add_argument("--due", action="store_true", help="harvest every enabled source whose schedule is due")
        parser.add_argument("--json", action="store_true", help="print the run summary as one JSON object")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, source: str | None, **options) -> None:
        if options["due"] == bool(source):
            raise CommandError("give either a SOURCE or --due")
        if options["due"]:
            summaries = []
            for due in harvest_sources_due():
                # One being harvested already (the server's scheduler) is the scheduler's; the others go on.
                if harvest_task_pending(source=due):
                    self.stderr.write(f"{due.code}: already being harvested; skipped")
                    continue
                summaries.append(self._harvest(due, **{**options, "resume": "auto"}))
            if options["json"]:
                self.stdout.write(json.dumps({"runs": summaries}, ensure_ascii=False))
            if any(s["status"] != HarvestRun.Status.DONE for s in summaries):
                raise SystemExit(1)
            return
        try:
            harvest_source = harvest_source_get(code=source)
        except NotFound as exc:
            raise CommandError(str(exc)) from exc
        summary = self._harvest(harvest_source, **options)
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
        if summary["status"] != HarvestRun.Status.DONE:
            raise SystemExit(1)

    def _harvest(self, source: HarvestSource, *, resume, from_, until, **options) -> dict:
        show = not options["no_progress"] and sys.stderr.isatty()
        bar = tqdm(desc=source.code, unit=" records", disable=not show, file=sys.stderr)

        def progress(run: HarvestRun) -> None:
            if run.complete_list_size and bar.total != run.complete_list_size:
                bar.total = run.complete_list_size
            bar.n = run.records
            bar.set_postfix(pages=run.pages, new=run.new, updated=run.updated, deleted=run.deleted,
                            rejected=run.rejected, refresh=False)
            bar.refresh()

        try:
            run = harvest_run(source=source, from_=from_, until=until, resume=resume, progress=progress)
        except ValidationFailed as exc:
            bar.close()
            raise CommandError(str(exc)) from exc
        except KeyboardInterrupt:
            bar.close()
            self.stderr.write(f"\n{source.code}: interrupted; stored pages are kept; "
                              f"`kitabkhana harvest {source.code} --resume` continues")
            raise SystemExit(130) from None
        bar.close()
        self.stderr.write(
            f"{source.code}: run {run.pk} {run.status}: {run.pages} pages, {run.records} records: {run.new} new, "
            f"{run.updated} updated, {run.unchanged} unchanged, {run.deleted} deleted, "
            f"{run.deletions_ignored} deletions of unknown records, {run.rejected} rejected"
        )
        for error in run.errors[-5:]:
            self.stderr.write(f"  {error['message']}")
        return run.summary()

"""Digitization lines from the command line: projects, folder ingest, figures.

  kitabkhana digitization project add CODE --name NAME --institution CODE [--colour-mode colour|grey|bitonal]
                                           [--min-dpi 300] [--dry-run]
  kitabkhana digitization project list
  kitabkhana digitization ingest FOLDER --record ID --project CODE [--holding BARCODE] [--batch NAME]
                                 [--access open|registered|on_site|staff] [--publish] [--ocr] [--json]
  kitabkhana digitization figures [--project CODE] [--since YYYY-MM-DD] [--json]
  kitabkhana digitization ocr ITEM_ID [--page N ...] [--force] [--languages fas+ara] [--background]
  kitabkhana digitization ocr-cer BATCH_ID [--json]
  kitabkhana digitization demo

ingest adds the record to the project (once; a second run finds the item again), ingests the folder's page
masters in natural order with automatic QA (a progress bar goes to stderr), and leaves the item in QA.
Re-running it on the same folder resumes: pages already ingested are kept. --publish publishes when QA found
nothing blocking; --ocr queues OCR of the pages ("digitization.ocr"). Exit status: 0, or 1 when the folder
had files that could not become pages or --publish was refused by blocking findings.
figures prints, per project, the items in each stage and pages, then per day the items that entered each
stage and the pages ingested; --json prints {"projects": [...], "days": [...]}.
ocr reads an item's pages with tesseract in its record's languages (pages with OCR are skipped unless --force);
ocr-cer prints a batch's character error rate per page with ground truth, their mean and the overall rate.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kitabkhana.accounts.selectors import institution_get
from kitabkhana.catalogue.models import Holding
from kitabkhana.catalogue.selectors import record_get
from kitabkhana.core.errors import NotFound, ValidationFailed
from kitabkhana.digitization import line_selectors
from kitabkhana.digitization.management import ocr_commands
from kitabkhana.digitization.models import Access, ColourMode, DigitalItem, Project
from kitabkhana.digitization.services.ingest import item_ingest_folder
from kitabkhana.digitization.services.lines import (
    batch_get_or_create,
    item_access_update,
    item_add,
    item_stage_move,
    project_create,
)
from kitabkhana.tasks.services import task_enqueue

Stage = DigitalItem.Stage


class _Bar:
    """The ingest's Progress drawn as a tqdm bar."""

    def __init__(self, bar: tqdm) -> None:
        self.bar = bar

    def set_total(self, total: int | None) -> None:
        self.bar.total = total
        self.bar.refresh()

    def advance(self, done: int, message: str = "") -> None:
        self.bar.n = done
        self.bar.set_postfix_str(message, refresh=False)
        self.bar.refresh()


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        project = sub.add_parser("project", help="add or list projects (digitization lines)")
        project_sub = project.add_subparsers(dest="project_action", required=True)
        add = project_sub.add_parser("add", help="add a project")
        add.add_argument("code")
        add.add_argument("--name", required=True)
        add.add_argument("--institution", required=True, help="code of the institution running the line")
        add.add_argument("--colour-mode", default=ColourMode.COLOUR, choices=ColourMode.values)
        add.add_argument("--min-dpi", type=int, default=300)
        add.add_argument("--dry-run", action="store_true")
        project_sub.add_parser("list", help="list projects")

        ingest = sub.add_parser("ingest", help="ingest a folder of page images as a record's digitized item")
        ingest.add_argument("folder")
        ingest.add_argument("--record", type=int, required=True, help="id of the catalogue record")
        ingest.add_argument("--project", required=True, help="project code")
        ingest.add_argument("--holding", default="", metavar="BARCODE", help="the scanned copy's barcode")
        ingest.add_argument("--batch", default="", help="batch name (created when new)")
        ingest.add_argument("--access", choices=Access.values, help="who may read it (new items: staff)")
        ingest.add_argument("--publish", action="store_true", help="publish when QA finds nothing blocking")
        ingest.add_argument("--ocr", action="store_true", help="queue OCR of the pages")
        ingest.add_argument("--json", action="store_true", help="print the ingest summary as one JSON object")
        ingest.add_argument("--no-progress", action="store_true")

        figures = sub.add_parser("figures", help="items and pages per line and per day")
        figures.add_argument("--project", default="")
        figures.add_argument("--since", type=dt.date.fromisoformat, metavar="YYYY-MM-DD")
        figures.add_argument("--json", action="store_true")
        ocr_commands.add_parsers(sub)
        sub.add_parser("demo", help="digitize one demo record (after load-demo): pages set from public-domain "
                                    "text, ingested, read by OCR and published open")

    def handle(self, *args, action: str, **options) -> None:
        try:
            getattr(self, f"_{action.replace('-', '_')}")(**options)
        except (NotFound, ValidationFailed) as exc:
            raise CommandError(str(exc)) from exc

    def _demo(self, **options) -> None:
        """The demo's digitized book: a real catalogue record (LC's 880 fixtures: a Persian proceedings volume,
        Tehran 1398 SH) with pages set from Hafez and Sa'di (kitabkhana.imaging.specimen), as a scanner would
        deliver them, through the same ingest, OCR and publication as a real line."""
        from django.conf import settings

        from kitabkhana.accounts.services import institution_default
        from kitabkhana.catalogue.models import Record
        from kitabkhana.digitization.services.ocr import item_ocr
        from kitabkhana.imaging.specimen import PERSIAN_TEXT, page_render

        record = Record.objects.filter(control_key__endswith="|21508109", deleted_at__isnull=True).first()
        if record is None:
            raise CommandError("the demo record is not in the catalogue: run `kitabkhana load-demo` first")
        if DigitalItem.objects.filter(record=record, stage=Stage.PUBLISHED).exists():
            self.stdout.write(f"record {record.pk} is already digitized")
            return
        project = Project.objects.filter(code="demo").first() or project_create(
            code="demo", name="Demo digitization line", names={"fa": "خط دیجیتال‌سازی نمونه"},
            institution=institution_default())
        folder = Path(settings.KITABKHANA["DATA_DIR"]) / "ingest" / "demo-book"
        folder.mkdir(parents=True, exist_ok=True)
        lines = PERSIAN_TEXT.split("\n")
        for number, start in enumerate(range(0, len(lines), 2), start=1):
            page_render(folder / f"{number:04d}.tif", "\n".join(lines[start:start + 2]), width=1748, height=2480,
                        dpi=300)
        item = item_add(project=project, record=record, access=Access.OPEN)
        item_ingest_folder(item, folder, user=None)
        item_ocr(item=item)
        item_stage_move(item=item, stage=Stage.PUBLISHED, user=None)
        self.stdout.write(f"record {record.pk} digitized: {item.pages.count()} pages, open to all "
                          f"(/records/{record.pk}/)")

    def _ocr(self, **options) -> None:
        ocr_commands.ocr(self, **options)

    def _ocr_cer(self, **options) -> None:
        ocr_commands.ocr_cer(self, **options)

    def _project(self, *, project_action: str, **options) -> None:
        if project_action == "list":
            for f in line_selectors.project_figures():
                self.stdout.write(f"{f.project.code}\t{f.project.institution.code}\t{f.items} items\t"
                                  f"{f.pages} pages\t{f.project.name}")
            return
        institution = institution_get(code=options["institution"])
        if options["dry_run"]:
            self.stdout.write(f"would add project {options['code']} of {institution.code}: {options['name']}")
            return
        project = project_create(code=options["code"], name=options["name"], institution=institution,
                                 colour_mode=options["colour_mode"], min_dpi=options["min_dpi"])
        self.stdout.write(self.style.SUCCESS(f"added project {project.code}: {project.name} ({institution.code})"))

    def _ingest(self, *, folder: str, record: int, project: str, **options) -> None:
        line = line_selectors.project_get(code=project)
        catalogue_record = record_get(record_id=record)
        item = DigitalItem.objects.filter(project=line, record=catalogue_record).first()
        batch = batch_get_or_create(project=line, name=options["batch"]) if options["batch"] else None
        if item is None:
            holding = None
            if options["holding"]:
                holding = Holding.objects.filter(record=catalogue_record, barcode=options["holding"]).first()
                if holding is None:
                    raise CommandError(f"record {record} has no holding with barcode {options['holding']!r}")
            item = item_add(project=line, record=catalogue_record, holding=holding, batch=batch,
                            access=options["access"] or Access.STAFF)
        elif options["access"] and options["access"] != item.access:
            item_access_update(item=item, access=options["access"], embargo_until=item.embargo_until,
                               downloadable=item.downloadable, rights=item.rights)
        show = not options["no_progress"] and sys.stderr.isatty()
        bar = tqdm(desc=f"item {item.pk}", unit=" pages", disable=not show, file=sys.stderr)
        try:
            result = item_ingest_folder(item, folder, user=None, progress=_Bar(bar))
        except KeyboardInterrupt:
            bar.close()
            self.stderr.write("\ninterrupted; pages ingested so far are kept: run the same command to resume")
            raise SystemExit(130) from None
        finally:
            bar.close()
        summary = result.summary()
        refused = ""
        if options["publish"]:
            if result.blocking:
                refused = f"not published: {result.blocking} blocking QA finding(s)"
            elif result.stage == Stage.QA:
                item_stage_move(item=item, stage=Stage.PUBLISHED, user=None, reason="published after ingest")
                summary["stage"] = Stage.PUBLISHED
        if options["ocr"]:
            run = task_enqueue(name="digitization.ocr", arguments={"item": item.pk})
            summary["ocr_task"] = str(run.pk)
        self.stderr.write(
            f"item {item.pk} (record {record}, project {line.code}): {summary['files']} files, "
            f"{summary['added']} added, {summary['kept']} kept, {summary['replaced']} replaced, "
            f"{len(result.failed)} failed; {result.findings} QA findings ({result.blocking} blocking); "
            f"stage {summary['stage']}"
        )
        for finding in line_selectors.item_findings(item).filter(blocking=True)[:20]:
            self.stderr.write(f"  {finding.source_name}: {finding.kind}: {finding.detail}")
        if refused:
            self.stderr.write(refused)
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
        if result.failed or refused:
            raise SystemExit(1)

    def _figures(self, *, project: str, since: dt.date | None, **options) -> None:
        line = line_selectors.project_get(code=project) if project else None
        totals = line_selectors.project_figures(line)
        days = line_selectors.figures_per_day(project=line, since=since)
        if options["json"]:
            self.stdout.write(json.dumps({
                "projects": [{"project": f.project.code, "items": f.items, "stages": f.stages, "pages": f.pages,
                              "blocked": f.blocked, "batches": f.batches} for f in totals],
                "days": [d.as_dict() for d in days],
            }, ensure_ascii=False))
            return
        stages = list(Stage.values)
        self.stdout.write("project\titems\t" + "\t".join(stages) + "\tpages\tblocked")
        for f in totals:
            self.stdout.write(f"{f.project.code}\t{f.items}\t" + "\t".join(str(f.stages[s]) for s in stages)
                              + f"\t{f.pages}\t{f.blocked}")
        self.stdout.write("")
        self.stdout.write("day\tproject\t" + "\t".join(stages) + "\tpages")
        for d in days:
            self.stdout.write(f"{d.day:%Y-%m-%d}\t{d.project}\t" + "\t".join(str(d.stages[s]) for s in stages)
                              + f"\t{d.pages}")

"""Import MARC files (ISO 2709 or MARCXML; MARC 21 or UNIMARC) into the catalogue.

  kitabkhana import-marc FILE... [--institution CODE] [--flavour marc21|unimarc]
                         [--format iso2709|marcxml] [--match skip|replace|merge] [--json]

Format, flavour and character set are detected per file and per record when not given. Records are
committed in batches; an interrupted import resumes where it stopped when run again on the same file.
Rejected records go to a report (file, record number, byte offset, reason) while the good ones go in.
With --json the command ends with one JSON line of counts: read, created, updated, skipped, rejected.
Exit status: 0 when every file was read (rejected records do not count as failure), 1 when a file failed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from kitabkhana.accounts.selectors import institution_get
from kitabkhana.accounts.services import institution_default
from kitabkhana.catalogue.models import ImportJob
from kitabkhana.catalogue.services.importing import FLAVOURS, FORMATS, MATCH_RULES, marc_file_import
from kitabkhana.core.errors import NotFound, ValidationFailed


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--institution", metavar="CODE", help="owner of the records (default: the national library)")
        parser.add_argument("--flavour", choices=FLAVOURS)
        parser.add_argument("--format", choices=FORMATS)
        parser.add_argument("--match", choices=MATCH_RULES, default="skip",
                            help="what to do with a record already in the catalogue (001+003, then ISBN/ISSN)")
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument("--validate", action="store_true",
                            help="check each record against the national cataloguing profile and print a report")
        parser.add_argument("--json", action="store_true", help="end with one JSON line of counts")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, files: list[str], **options) -> None:
        try:
            institution = institution_get(code=options["institution"]) if options["institution"] else institution_default()
        except NotFound as exc:
            raise CommandError(str(exc)) from exc
        totals = {"read": 0, "created": 0, "updated": 0, "skipped": 0, "rejected": 0}
        failed = []
        show_bar = not options["no_progress"] and not options["json"] and sys.stderr.isatty()
        for name in files:
            path = Path(name)
            if not path.is_file():
                self.stderr.write(f"{name}: no such file")
                failed.append(name)
                continue
            bar = tqdm(total=path.stat().st_size, unit="B", unit_scale=True, desc=path.name, disable=not show_bar,
                       file=sys.stderr)

            def progress(job: ImportJob, bytes_done: int, bar=bar) -> None:
                bar.n = bytes_done
                bar.set_postfix(read=job.read, created=job.created, rejected=job.rejected, refresh=False)
                bar.refresh()

            try:
                job = marc_file_import(
                    path=path, institution=institution, flavour=options["flavour"], format=options["format"],
                    match=options["match"], batch_size=options["batch_size"], progress=progress,
                    check_profile=options["validate"],
                )
            except ValidationFailed as exc:
                bar.close()
                raise CommandError(str(exc)) from exc
            except KeyboardInterrupt:
                bar.close()
                self.stderr.write(f"\n{name}: interrupted; committed records are kept; run the same command to resume")
                raise SystemExit(130) from None
            bar.close()
            for key, value in job.counts().items():
                totals[key] += value
            if job.status == ImportJob.Status.FAILED:
                failed.append(name)
                self.stderr.write(f"{job.error or name + ': import failed'}")
            else:
                self.stderr.write(
                    f"{name}: {job.read} read, {job.created} created, {job.updated} updated, "
                    f"{job.skipped} skipped, {job.rejected} rejected"
                    + (f" (rejections: {job.report_path})" if job.rejected else "")
                )
                if job.profile_report:
                    self._print_profile_report(name, job.profile_report)
                for rejection in job.rejections.all()[:5]:
                    where = f" (byte {rejection.offset})" if rejection.offset is not None else ""
                    field = f", field {rejection.field}" if rejection.field else ""
                    self.stderr.write(f"  {name}: record {rejection.record_number}{where}{field}: {rejection.reason}")
        if options["json"]:
            self.stdout.write(json.dumps({**totals, "failed_files": failed}))
        if failed:
            raise SystemExit(1)

    def _print_profile_report(self, name: str, report: dict) -> None:
        self.stderr.write(
            f"{name}: profile check: {report.get('records_checked', 0)} records, "
            f"{report.get('records_with_errors', 0)} with errors"
        )
        for problem in report.get("problems", [])[:15]:
            self.stderr.write(f"  {problem.get('count')}× {problem.get('severity')} {problem.get('tag')}: {problem.get('message')}")

"""Export catalogue records.

  kitabkhana export-marc OUT [--format iso2709|marcxml|json] [--query Q] [--institution CODE]

OUT is a file path, or - for standard output. --query takes the catalogue's search syntax
(e.g. 'author:hafez year:1990-2000'). Records are written UTF-8 (see docs/catalogue.md, "Round trip").
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from kitabkhana.catalogue.services.exporting import EXPORT_FORMATS, records_export


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser) -> None:
        parser.add_argument("out", metavar="OUT")
        parser.add_argument("--format", choices=EXPORT_FORMATS, default="iso2709")
        parser.add_argument("--query", default=None)
        parser.add_argument("--institution", default=None, metavar="CODE")

    def handle(self, *args, out: str, format: str, query: str | None, institution: str | None, **options) -> None:
        try:
            if out == "-":
                count = records_export(out=sys.stdout.buffer, format=format, query=query, institution_code=institution)
                sys.stdout.buffer.flush()
            else:
                with open(out, "wb") as fh:
                    count = records_export(out=fh, format=format, query=query, institution_code=institution)
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(f"{count} records written to {out} ({format})")

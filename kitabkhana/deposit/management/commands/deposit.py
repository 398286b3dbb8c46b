"""Legal deposit from the command line.

  kitabkhana deposit claims [--dry-run] [--today YYYY-MM-DD]
      send the claims due (first, second, final) for approved titles past their expected date plus the grace
      period with no deposit; --dry-run prints what would be sent and sends nothing.

  kitabkhana deposit bibliography YEAR MONTH [--gregorian] [--format pdf|mrc|xml|txt] [--output FILE]
                                  [--language en|fa]
      write the national bibliography of a month (Solar Hijri unless --gregorian): the titles whose first copy
      was received in it, as text (the default), PDF, ISO 2709 or MARCXML; txt and xml go to stdout without
      --output, pdf and mrc need --output. Headings are in --language (default: the site's language).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from kitabkhana.core.errors import NotFound
from kitabkhana.deposit import bibliography as nb
from kitabkhana.deposit.cip_block import CipFontMissing
from kitabkhana.deposit.services import claims_send


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--today {text!r}: expected a Gregorian date YYYY-MM-DD") from None


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        claims = sub.add_parser("claims", help="send the deposit claims due")
        claims.add_argument("--dry-run", action="store_true", help="print what would be sent; send nothing")
        claims.add_argument("--today", default="", help="the day to run as (YYYY-MM-DD); default today")
        bibliography = sub.add_parser("bibliography", help="write the national bibliography of a month")
        bibliography.add_argument("year", type=int, help="Solar Hijri year (e.g. 1405), Gregorian with --gregorian")
        bibliography.add_argument("month", type=int, help="month number, 1-12")
        bibliography.add_argument("--gregorian", action="store_true", help="YEAR MONTH are a Gregorian month")
        bibliography.add_argument("--format", choices=nb.FORMATS, default="txt", dest="fmt")
        bibliography.add_argument("--output", default="", help="file to write; default stdout (txt and xml only)")
        bibliography.add_argument("--language", default="", choices=["", *(code for code, _ in settings.LANGUAGES)],
                                  help="language of the headings; default the site's language")

    def handle(self, *args, action: str, **options) -> None:
        if action == "bibliography":
            self._bibliography(**options)
        else:
            self._claims(**options)

    def _claims(self, *, today: str, dry_run: bool, **options) -> None:
        failed: list = []
        done = claims_send(today=_day(today) if today else None, dry_run=dry_run, failed=failed)
        verb = "would send" if dry_run else "sent"
        for claim in done:
            self.stdout.write(f"{verb}\t{claim.level}\tCIP {claim.request.pk}\t{claim.to}\t{claim.language}\t"
                              f"{claim.request.title}")
        self.stdout.write(f"{len(done)} claim(s) {verb}")
        for plan, error in failed:
            self.stderr.write(f"not sent\t{plan.level}\tCIP {plan.request.pk}\t{plan.to}\t{error}")
        if failed:
            raise CommandError(f"{len(failed)} claim(s) could not be sent; they are tried again on the next run")

    def _bibliography(self, *, year: int, month: int, gregorian: bool, fmt: str, output: str, language: str,
                      **options) -> None:
        if not output and fmt in ("pdf", "mrc"):
            raise CommandError(f"--format {fmt} is binary: give a file with --output")
        try:
            current = nb.month_get(calendar=nb.GREGORIAN if gregorian else nb.SOLAR, year=year, month=month)
        except NotFound as exc:
            raise CommandError(str(exc)) from None
        with translation.override(language or settings.LANGUAGE_CODE):
            try:
                body = nb.bibliography_file(month=current, fmt=fmt)
            except CipFontMissing as exc:
                raise CommandError(str(exc)) from None
        if not output:
            self.stdout.write(body.decode("utf-8"), ending="")
            return
        Path(output).write_bytes(body)
        self.stderr.write(f"wrote the national bibliography of {current.slug} ({fmt}) to {output}")

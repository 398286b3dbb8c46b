"""Legal deposit from the command line.

  kitabkhana deposit claims [--dry-run] [--today YYYY-MM-DD]
      send the claims due (first, second, final) for approved titles past their expected date plus the grace
      period with no deposit; --dry-run prints what would be sent and sends nothing.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

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

    def handle(self, *args, action: str, **options) -> None:
        today = _day(options["today"]) if options["today"] else None
        dry_run = options["dry_run"]
        done = claims_send(today=today, dry_run=dry_run)
        verb = "would send" if dry_run else "sent"
        for claim in done:
            self.stdout.write(f"{verb}\t{claim.level}\tCIP {claim.request.pk}\t{claim.to}\t{claim.language}\t"
                              f"{claim.request.title}")
        self.stdout.write(f"{len(done)} claim(s) {verb}")

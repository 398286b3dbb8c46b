"""Rebuild the search index from the database (the database is the source of truth).

  kitabkhana reindex            clear the index and index every record
  kitabkhana reindex --pending  only records whose change has not reached the index (after a crash)
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from kitabkhana.catalogue.models import Record
from kitabkhana.catalogue.services.indexing import index_rebuild, records_index_pending


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser) -> None:
        parser.add_argument("--pending", action="store_true")

    def handle(self, *args, pending: bool, **options) -> None:
        total = Record.objects.filter(**({"needs_index": True} if pending else {"deleted_at__isnull": True})).count()
        with tqdm(total=total, unit="rec", disable=not sys.stderr.isatty(), file=sys.stderr) as bar:
            def progress(done: int) -> None:
                bar.n = done
                bar.refresh()

            done = records_index_pending(progress=progress) if pending else index_rebuild(progress=progress)
        self.stderr.write(f"{done} records indexed")

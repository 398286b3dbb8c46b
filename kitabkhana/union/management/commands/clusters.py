"""The union catalogue's clusters.

  kitabkhana clusters --json                 one JSON line per cluster: {"cluster": ID, "members": ["003:001", ...]}
  kitabkhana clusters --rebuild [--progress] recluster the whole catalogue from the stored keys (staff decisions kept)
  kitabkhana clusters --rebuild --dry-run    count what a rebuild would do, write nothing

A member is written as its 003 and 001; a record without 003 shows its institution's code instead,
one without 001 shows ``#`` and its record id. After a rebuild the changed records are flagged for the
search index and indexed (``--no-index`` leaves that to ``kitabkhana reindex --pending``).
"""

from __future__ import annotations

import resource
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from kitabkhana.catalogue.services.indexing import records_index_pending
from kitabkhana.union.rebuilding import clusters_rebuild
from kitabkhana.union.selectors import clusters_listing


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="print the clusters as JSON lines")
        parser.add_argument("--rebuild", action="store_true", help="recluster the whole catalogue")
        parser.add_argument("--progress", action="store_true", help="report the rebuild's stages on stderr")
        parser.add_argument("--dry-run", action="store_true", help="with --rebuild: compute, write nothing")
        parser.add_argument("--no-index", action="store_true", help="with --rebuild: do not index the changes")

    def handle(self, *args, json: bool, rebuild: bool, progress: bool, dry_run: bool, no_index: bool, **options) -> None:
        if not json and not rebuild:
            raise CommandError("say --json (list clusters) or --rebuild (recluster)")
        if rebuild:
            self._rebuild(progress=progress, dry_run=dry_run, no_index=no_index)
        if json:
            for cluster_id, members in clusters_listing():
                self.stdout.write(_dumps({"cluster": cluster_id, "members": members}))

    def _rebuild(self, *, progress: bool, dry_run: bool, no_index: bool) -> None:
        started = time.perf_counter()

        def report(stage: str, count: int) -> None:
            if progress and count % 100000 < 1000:
                self.stderr.write(f"{stage}: {count}")

        result = clusters_rebuild(progress=report if progress else None, write=not dry_run)
        indexed = 0
        if not dry_run and not no_index and result.changed_records:
            indexed = records_index_pending()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stderr.write(
            f"{result.records} records, {result.key_rows} keys, {result.candidate_pairs} candidate pairs, "
            f"{result.matched_pairs} matched, {result.refused} refused by staff decisions; "
            f"{result.clusters} clusters of {result.clustered_records} records; "
            f"{result.changed_records} records changed{' (dry run)' if dry_run else ''}, {indexed} indexed; "
            f"{time.perf_counter() - started:.1f} s, peak memory {peak_mb:.0f} MB; stages {result.seconds}"
        )
        sys.stderr.flush()


def _dumps(value) -> str:
    import json as _json

    return _json.dumps(value, ensure_ascii=False)

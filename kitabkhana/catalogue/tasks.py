"""Background tasks of the catalogue (run through kitabkhana.tasks; each is safe to run twice)."""

from __future__ import annotations

from pathlib import Path

from kitabkhana.accounts.selectors import institution_get
from kitabkhana.catalogue.services.importing import marc_file_import
from kitabkhana.catalogue.services.indexing import index_rebuild, records_index_pending
from kitabkhana.tasks.registry import task


@task("catalogue.import_marc")
def import_marc_task(*, progress, path: str, institution: str, match: str = "skip", flavour: str | None = None,
                     format: str | None = None, source_name: str | None = None, user_id: int | None = None) -> dict:
    file = Path(path)
    progress.set_total(file.stat().st_size)

    def report(job, bytes_done: int) -> None:
        progress.advance(bytes_done, f"{job.read} read, {job.created} created, {job.rejected} rejected")

    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    job = marc_file_import(
        path=file, institution=institution_get(code=institution), match=match, flavour=flavour, format=format,
        source_name=source_name, user=user, progress=report, check_profile=True,
    )
    return {"job": job.pk, "status": job.status, "error": job.error, **job.counts()}


@task("catalogue.reindex")
def reindex_task(*, progress, pending_only: bool = False) -> dict:
    def report(done: int) -> None:
        progress.advance(done, f"{done} records indexed")

    done = records_index_pending(progress=report) if pending_only else index_rebuild(progress=report)
    return {"indexed": done}

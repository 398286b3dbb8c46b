"""Background tasks of legal deposit (run through kitabkhana.tasks; safe to run twice: a claim level is sent
once per title, and a second run finds nothing more due)."""

from __future__ import annotations

from kitabkhana.deposit.services import claims_send
from kitabkhana.tasks.registry import task


@task("deposit.claims")
def deposit_claims_task(*, progress, dry_run: bool = False) -> dict:
    failed: list = []
    done = claims_send(dry_run=dry_run, failed=failed)
    progress.advance(len(done), f"{len(done)} claim(s) {'would be sent' if dry_run else 'sent'}, "
                                f"{len(failed)} failed")
    return {"claims": len(done), "dry_run": dry_run,
            "sent": [{"request": c.request.pk, "level": c.level, "to": c.to} for c in done],
            "failed": [{"request": p.request.pk, "level": p.level, "to": p.to, "error": e} for p, e in failed]}

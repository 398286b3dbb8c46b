"""Run background tasks outside the web process.

  kitabkhana worker            process runs queued in the database (e.g. left by a restart), then wait for more
  kitabkhana worker --redis    pop run ids from Redis (KITABKHANA_REDIS_URL); run several for scale
  kitabkhana worker --once     process what is queued now and exit
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from kitabkhana.tasks.backends import RedisTaskBackend
from kitabkhana.tasks.services import task_claim_next, task_execute


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser) -> None:
        parser.add_argument("--redis", action="store_true", help="take run ids from Redis instead of polling the database")
        parser.add_argument("--once", action="store_true", help="exit when nothing is queued")
        parser.add_argument("--poll", type=float, default=2.0, help="seconds between database polls")

    def handle(self, *args, redis: bool, once: bool, poll: float, **options) -> None:
        source = RedisTaskBackend() if redis else None
        while True:
            run_id = source.pop(timeout=int(poll) or 1) if source else task_claim_next()
            if run_id is None:
                if once:
                    return
                if not source:
                    time.sleep(poll)
                continue
            run = task_execute(run_id)
            close_old_connections()  # a long-lived worker must drop connections the server has closed
            if run is not None:
                self.stdout.write(f"{run.name} {run.pk}: {run.status}")

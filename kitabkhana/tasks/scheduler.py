"""Periodic jobs inside the server: one daemon thread per serving process runs every registered job when due.

Apps register their jobs in ``AppConfig.ready`` (the harvest schedule, legal-deposit claims); the thread starts
on ``serving_started``. A job should only queue work through ``task_enqueue`` and return quickly, so the long
work runs on the task backend with its progress shown like any other task. Each job has a switch and an
interval in ``settings.KITABKHANA``, read at every tick, so a job can be turned off without a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

log = logging.getLogger(__name__)

# A job is first run this soon after the server starts (or after its interval, when that is shorter).
_FIRST_RUN_AFTER = 60.0


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    run: Callable[[], object]
    switch_setting: str
    interval_setting: str
    default_interval: float

    def enabled(self) -> bool:
        return bool(settings.KITABKHANA.get(self.switch_setting, True))

    def interval(self) -> float:
        return float(settings.KITABKHANA.get(self.interval_setting, self.default_interval))


_jobs: dict[str, PeriodicJob] = {}
_lock = threading.Lock()
_thread: threading.Thread | None = None
_stop = threading.Event()


def periodic_job_register(*, name: str, run: Callable[[], object], switch_setting: str, interval_setting: str,
                          default_interval: float) -> PeriodicJob:
    """Run ``run()`` every ``KITABKHANA[interval_setting]`` seconds while ``KITABKHANA[switch_setting]`` is true."""
    job = PeriodicJob(name=name, run=run, switch_setting=switch_setting, interval_setting=interval_setting,
                      default_interval=default_interval)
    _jobs[name] = job
    return job


def scheduler_thread() -> threading.Thread | None:
    return _thread


def scheduler_start(**_) -> threading.Thread | None:
    """On ``serving_started``: start the scheduler thread, unless it runs already or every job is switched off."""
    global _thread
    if not any(job.enabled() for job in _jobs.values()):
        return None
    with _lock:
        if _thread is not None and _thread.is_alive():
            return None
        _stop.clear()
        _thread = threading.Thread(target=_loop, name="kitabkhana-scheduler", daemon=True)
        _thread.start()
        return _thread


def scheduler_stop(timeout: float = 10) -> None:
    _stop.set()
    if _thread is not None:
        _thread.join(timeout)


def _run(job: PeriodicJob) -> None:
    from django.db import close_old_connections

    try:
        job.run()
    except Exception:  # a job must outlive a bad minute (database restarting, ...), and so must the others
        log.exception("the scheduled job %s failed", job.name)
    finally:
        close_old_connections()


def _loop() -> None:
    started = time.monotonic()
    next_due: dict[str, float] = {}
    while not _stop.is_set():
        now = time.monotonic()
        wait = _FIRST_RUN_AFTER
        for job in list(_jobs.values()):
            interval = job.interval()
            due = next_due.setdefault(job.name, started + min(interval, _FIRST_RUN_AFTER))
            if now >= due:
                if job.enabled():
                    _run(job)
                due = next_due[job.name] = time.monotonic() + interval
            wait = min(wait, max(0.0, due - time.monotonic()))
        _stop.wait(wait)

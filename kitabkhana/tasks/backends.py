"""Where task runs execute. All share the TaskRun table for state and progress.

- InlineTaskBackend: runs at once in the caller (tests, scripts).
- ThreadTaskBackend: the embedded default; a worker thread in the web process, nothing to install.
  A run left queued by a restart is picked up by ``kitabkhana worker``.
- RedisTaskBackend: pushes run ids to a Redis list that ``kitabkhana worker --redis`` processes pop.
"""

from __future__ import annotations

import queue
import threading
import uuid

from django.conf import settings
from django.db import connections


class InlineTaskBackend:
    def submit(self, run_id: uuid.UUID) -> None:
        from kitabkhana.tasks.services import task_execute

        task_execute(run_id)


class ThreadTaskBackend:
    def __init__(self) -> None:
        self._queue: queue.Queue[uuid.UUID] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, run_id: uuid.UUID) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="kitabkhana-tasks", daemon=True)
                self._thread.start()
        self._queue.put(run_id)

    def _work(self) -> None:
        from kitabkhana.tasks.services import task_execute

        while True:
            run_id = self._queue.get()
            try:
                task_execute(run_id)
            finally:
                # Runs are long and rare: give this thread's connection back rather than hold it idle.
                connections.close_all()
                self._queue.task_done()

    def join(self) -> None:
        """Wait until every submitted run has finished (tests)."""
        self._queue.join()


class RedisTaskBackend:
    queue_key = "kitabkhana:tasks"

    def __init__(self, url: str | None = None) -> None:
        import redis  # optional dependency: pip install kitabkhana[redis]

        self.client = redis.Redis.from_url(url or settings.KITABKHANA["REDIS_URL"])

    def submit(self, run_id: uuid.UUID) -> None:
        self.client.rpush(self.queue_key, str(run_id))

    def pop(self, timeout: int = 5) -> str | None:
        item = self.client.blpop([self.queue_key], timeout=timeout)
        return item[1].decode() if item else None

    def close(self) -> None:
        self.client.close()

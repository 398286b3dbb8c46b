"""What the benchmark scripts share: Kitabkhana instances run as child processes, each on its own data dir.

An instance's environment (``instance_env``) names its data directory and drops
KITABKHANA_DATABASE_URL, so every instance runs on its own embedded SQLite database and a benchmark
never touches the developer's data or a PostgreSQL named in the shell. Commands run with the
project root as their working directory.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KITABKHANA = [sys.executable, "-m", "kitabkhana.cli"]

# Runs `kitabkhana <args>` in a fresh interpreter and reports, on its last stderr line, the command's own
# time and the process's peak memory (so a benchmark measures that command alone).
_MEASURED = (
    "import resource, sys, time, json\n"
    "from kitabkhana.cli import main\n"
    "t = time.perf_counter()\n"
    "try:\n"
    "    main(['kitabkhana', *sys.argv[1:]])\n"
    "finally:\n"
    "    print(json.dumps({'seconds': time.perf_counter() - t,"
    " 'max_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), file=sys.stderr)\n"
)


def instance_env(data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "KITABKHANA_DATA_DIR": str(data_dir.resolve())}
    env.pop("KITABKHANA_DATABASE_URL", None)  # each instance on its own embedded database
    return env


def run_kitabkhana(env: dict[str, str], *args: str) -> str:
    """``kitabkhana <args>`` in a child process; its stdout, or exit with its stderr when it fails."""
    proc = subprocess.run([*KITABKHANA, *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"kitabkhana {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return proc.stdout


def measured_in_child(env: dict[str, str], args: Sequence[str], *, what: str) -> dict:
    """Run a ``kitabkhana`` command that ends by printing a JSON summary; the summary plus its
    ``seconds`` and ``max_rss_mb`` (peak memory of that process alone)."""
    proc = subprocess.run([sys.executable, "-c", _MEASURED, *args], env=env, cwd=ROOT, capture_output=True,
                          text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{what} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    timing = json.loads(proc.stderr.strip().splitlines()[-1])
    return {**summary, **timing}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, path: str, *, timeout: float = 60, what: str = "server",
             process: subprocess.Popen | None = None) -> None:
    """Until GET ``path`` answers 200 on ``port``; exits when ``process`` ends first or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"{what} exited with code {process.returncode} before answering")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                conn.request("GET", path)
                if conn.getresponse().status == 200:
                    return
            finally:
                conn.close()
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{what} did not start")


@contextmanager
def serving(env: dict[str, str], port: int, *, ready: str, timeout: float = 60,
            what: str = "server") -> Iterator[subprocess.Popen]:
    """``kitabkhana serve`` on ``port`` in a child process, answering ``ready`` by the time the block runs."""
    # Its output is not read: a pipe nobody drains would stall a server that logs every request.
    server = subprocess.Popen([*KITABKHANA, "serve", "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(port, ready, timeout=timeout, what=what, process=server)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

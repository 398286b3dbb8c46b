"""Harvest benchmark: one Kitabkhana harvests N records over OAI-PMH from another, end to end.

  python bench/harvest.py --records 100000 [--workdir DIR] [--keep] [--prefix marc21|unimarc]

The provider is a second Kitabkhana instance (its own data dir, SQLite) loaded with N synthetic
records (bench/generate.py) by `kitabkhana import-marc` and serving /oai with `kitabkhana serve`.
The harvester is a fresh data dir where `kitabkhana harvest` runs in a child process: every page is
fetched over HTTP, parsed, matched, stored with versions and indexed, and the OAI identifiers mapped.
Prints records/s of the harvest, its total time and the harvesting process's peak memory (max RSS);
the provider's own load time is printed separately and not counted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
KITABKHANA = [sys.executable, "-m", "kitabkhana.cli"]


def instance_env(data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "KITABKHANA_DATA_DIR": str(data_dir)}
    env.pop("KITABKHANA_DATABASE_URL", None)  # each instance on its own embedded database
    return env


def run(env: dict[str, str], *args: str) -> str:
    proc = subprocess.run([*KITABKHANA, *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"kitabkhana {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return proc.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/oai?verb=Identify")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("the provider did not start")


def harvest_in_child(env: dict[str, str], source: str) -> dict:
    code = (
        "import resource, sys, time, json\n"
        "from kitabkhana.cli import main\n"
        "t = time.perf_counter()\n"
        "try:\n"
        "    main(['kitabkhana', 'harvest', sys.argv[1], '--json', '--no-progress'])\n"
        "finally:\n"
        "    print(json.dumps({'seconds': time.perf_counter() - t,"
        " 'max_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, source], env=env, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"harvest failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    timing = json.loads(proc.stderr.strip().splitlines()[-1])
    return {**summary, **timing}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--prefix", default="marc21", choices=["marc21", "unimarc"])
    parser.add_argument("--workdir", type=Path, default=None, help="where files and data dirs go (default: temp)")
    parser.add_argument("--keep", action="store_true", help="keep the provider's data dir for another run")
    args = parser.parse_args()
    from generate import write_file

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="kitabkhana-bench-harvest-"))
    workdir.mkdir(parents=True, exist_ok=True)
    synthetic = workdir / f"synthetic-{args.records}.mrc"
    if not synthetic.exists():
        t = time.perf_counter()
        write_file(synthetic, args.records)
        print(f"generated {args.records} records in {time.perf_counter() - t:.0f} s")

    provider_dir = workdir / f"provider-{args.records}"
    provider_env = instance_env(provider_dir)
    if not (provider_dir / "kitabkhana.sqlite3").exists():
        t = time.perf_counter()
        run(provider_env, "migrate", "-v0")
        counts = json.loads(run(provider_env, "import-marc", str(synthetic), "--json", "--no-progress")
                            .strip().splitlines()[-1])
        print(f"provider loaded: {counts['created']} records in {time.perf_counter() - t:.0f} s (not counted)")
    port = free_port()
    server = subprocess.Popen([*KITABKHANA, "serve", "--port", str(port)], env=provider_env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    harvester_dir = workdir / "harvester"
    shutil.rmtree(harvester_dir, ignore_errors=True)
    try:
        wait_for(port)
        env = instance_env(harvester_dir)
        run(env, "migrate", "-v0")
        run(env, "institution", "add", "PROVIDER", "--name", "The provider", "--kind", "partner")
        run(env, "harvest-source", "add", "bench", "--url", f"http://127.0.0.1:{port}/oai", "--institution",
            "PROVIDER", "--prefix", args.prefix, "--set", "institution:NL")
        result = harvest_in_child(env, "bench")
    finally:
        server.terminate()
        server.wait(timeout=30)
    rate = result["records"] / result["seconds"]
    print(
        f"harvest {result['records']:>9} records ({args.prefix}, {result['pages']} pages): {rate:8.0f} records/s "
        f"end to end ({result['seconds']:.1f} s total; new {result['new']}, rejected {result['rejected']}, "
        f"status {result['status']}); peak memory {result['max_rss_mb']:.0f} MiB"
    )
    if not args.keep:
        shutil.rmtree(provider_dir, ignore_errors=True)
    shutil.rmtree(harvester_dir, ignore_errors=True)
    print(f"workdir: {workdir}")


if __name__ == "__main__":
    main()

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
import shutil
import tempfile
import time
from pathlib import Path

from _common import free_port, instance_env, measured_in_child, run_kitabkhana, serving


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--prefix", default="marc21", choices=["marc21", "unimarc"])
    parser.add_argument("--workdir", type=Path, default=None, help="where files and data dirs go (default: temp)")
    parser.add_argument("--keep", action="store_true", help="keep the provider's data dir for another run")
    args = parser.parse_args()
    from generate import write_file
    from ingest import import_in_child

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="kitabkhana-bench-harvest-"))
    workdir.mkdir(parents=True, exist_ok=True)
    synthetic = workdir / f"synthetic-{args.records}.mrc"
    if not synthetic.exists():
        t = time.perf_counter()
        write_file(synthetic, args.records)
        print(f"generated {args.records} records in {time.perf_counter() - t:.0f} s")

    provider_dir = workdir / f"provider-{args.records}"
    if not (provider_dir / "kitabkhana.sqlite3").exists():
        t = time.perf_counter()
        counts = import_in_child(synthetic, provider_dir)
        print(f"provider loaded: {counts['created']} records in {time.perf_counter() - t:.0f} s (not counted)")
    port = free_port()
    harvester_dir = workdir / "harvester"
    shutil.rmtree(harvester_dir, ignore_errors=True)
    with serving(instance_env(provider_dir), port, ready="/oai?verb=Identify", what="the provider"):
        env = instance_env(harvester_dir)
        run_kitabkhana(env, "migrate", "-v0")
        run_kitabkhana(env, "institution", "add", "PROVIDER", "--name", "The provider", "--kind", "partner")
        run_kitabkhana(env, "harvest-source", "add", "bench", "--url", f"http://127.0.0.1:{port}/oai",
                       "--institution", "PROVIDER", "--prefix", args.prefix, "--set", "institution:NL")
        result = measured_in_child(env, ["harvest", "bench", "--json", "--no-progress"], what="harvest")
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

"""Ingest benchmark: import N synthetic records end to end (parse, store, index) into a fresh SQLite data dir.

  python bench/ingest.py --records 100000 [--records 1000000] [--keep]

Prints, per size: records/s of the import, peak memory (max RSS) of the importing process, and
pymarc's bare parse rate over the same file in the same run. Each import runs in a fresh process
so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from _common import instance_env, measured_in_child, run_kitabkhana


def bare_parse_rate(path: Path) -> float:
    import pymarc

    start = time.perf_counter()
    n = 0
    with path.open("rb") as fh:
        for _record in pymarc.MARCReader(fh, to_unicode=True, force_utf8=True):
            n += 1
    return n / (time.perf_counter() - start)


def import_in_child(path: Path, data_dir: Path) -> dict:
    """Run migrate + import-marc in a child process; report its counts, time and peak RSS."""
    env = instance_env(data_dir)
    run_kitabkhana(env, "migrate", "-v0")
    return measured_in_child(env, ["import-marc", str(path), "--json", "--no-progress"], what="import")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, action="append", help="sizes to run (default 100000)")
    parser.add_argument("--workdir", type=Path, default=None, help="where files and data dirs go (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the data dirs (bench/search.py can reuse them)")
    args = parser.parse_args()
    from generate import write_file

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="kitabkhana-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    for size in args.records or [100_000]:
        source = workdir / f"synthetic-{size}.mrc"
        if not source.exists():
            t = time.perf_counter()
            write_file(source, size)
            print(f"generated {size} records ({source.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.0f} s")
        bare = bare_parse_rate(source)
        data_dir = workdir / f"data-{size}"
        shutil.rmtree(data_dir, ignore_errors=True)
        result = import_in_child(source, data_dir)
        rate = result["read"] / result["seconds"]
        print(
            f"ingest {size:>9} records: {rate:8.0f} records/s end to end "
            f"({result['seconds']:.1f} s; created {result['created']}, rejected {result['rejected']}); "
            f"peak memory {result['max_rss_mb']:.0f} MiB; pymarc bare parse {bare:8.0f} records/s; "
            f"ratio {rate / bare:.2f}"
        )
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    print(f"workdir: {workdir}")


if __name__ == "__main__":
    main()

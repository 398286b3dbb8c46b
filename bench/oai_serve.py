"""OAI-PMH serving benchmark: a full ListRecords harvest in MARCXML (marc21) over HTTP.

  python bench/oai_serve.py [--records 100000] [--workdir DIR] [--port 8766]

Builds N synthetic records with bench/generate.py and imports them the way bench/ingest.py does
(a fresh SQLite data dir in --workdir; reused when it is already there), serves it with
`kitabkhana serve` in a child process, then walks ListRecords&metadataPrefix=marc21 from the first
page to the last, following resumption tokens over one keep-alive connection, as a harvester does.
Prints records/s of the whole walk, the number of pages, p50/p95 ms per page and the bytes served.
The target is at least 3 000 records/s.
"""

from __future__ import annotations

import argparse
import http.client
import re
import tempfile
import time
import urllib.parse
from pathlib import Path

from _common import instance_env, percentile, serving

_TOKEN = re.compile(rb"<resumptionToken[^>]*>([^<]+)</resumptionToken>")
_ERROR = re.compile(rb'<error code="([^"]+)">([^<]*)</error>')


def prepare(records: int, workdir: Path) -> Path:
    from generate import write_file
    from ingest import import_in_child

    source = workdir / f"synthetic-{records}.mrc"
    if not source.exists():
        t = time.perf_counter()
        write_file(source, records)
        print(f"generated {records} records ({source.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.0f} s")
    data_dir = workdir / f"data-{records}"
    if not (data_dir / "kitabkhana.sqlite3").exists():
        result = import_in_child(source, data_dir)
        print(f"imported {result['created']} records in {result['seconds']:.0f} s")
    return data_dir


def harvest(port: int, prefix: str) -> tuple[int, list[float], int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    query = {"verb": "ListRecords", "metadataPrefix": prefix}
    latencies: list[float] = []
    records = served = 0
    while True:
        start = time.perf_counter()
        conn.request("GET", "/oai?" + urllib.parse.urlencode(query))
        response = conn.getresponse()
        body = response.read()
        latencies.append((time.perf_counter() - start) * 1000)
        if response.status != 200 or _ERROR.search(body):
            raise SystemExit(f"page {len(latencies)}: HTTP {response.status} {body[:500]!r}")
        records += body.count(b"<record><header")
        served += len(body)
        token = _TOKEN.search(body)
        if token is None:
            return records, latencies, served
        query = {"verb": "ListRecords", "resumptionToken": token.group(1).decode()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, default=None, help="where the file and data dir go (default: temp)")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--prefix", default="marc21", help="metadataPrefix to harvest (default marc21)")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="kitabkhana-oai-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    data_dir = prepare(args.records, workdir)
    with serving(instance_env(data_dir), args.port, ready="/oai?verb=Identify", timeout=120):
        start = time.perf_counter()
        records, latencies, served = harvest(args.port, args.prefix)
        seconds = time.perf_counter() - start
        print(
            f"OAI-PMH ListRecords {args.prefix} over HTTP: {records} records in {seconds:.1f} s = "
            f"{records / seconds:.0f} records/s; {len(latencies)} pages, p50 {percentile(latencies, 50):.0f} ms, "
            f"p95 {percentile(latencies, 95):.0f} ms per page; {served / 1e6:.0f} MB served"
        )
    print(f"workdir: {workdir}")


if __name__ == "__main__":
    main()

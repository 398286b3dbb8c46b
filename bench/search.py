"""Search benchmark over HTTP: 1 000 mixed queries against /api/search on a served data directory.

  python bench/search.py --data-dir DIR [--queries 1000] [--port 8765]

DIR is a data directory filled by `bench/ingest.py --keep` (e.g. the million-record one). The
server runs as `kitabkhana serve` in a child process; queries go over loopback with keep-alive:
keyword, fielded, faceted, Persian/Arabic and Latin, drawn from the same real-record vocabulary
the generator used. Prints p50/p95/p99 latency in ms and the hit counts' spread.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import time
import urllib.parse
from pathlib import Path

from _common import instance_env, percentile, serving


def _is_arabic_script(word: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in word)


def mixed_queries(count: int, seed: int = 7) -> list[dict]:
    from generate import LANGUAGES, _vocabulary, seed_records

    rng = random.Random(seed)
    vocab = _vocabulary(seed_records())
    head = vocab[:2000]
    persian = [w for w in head if _is_arabic_script(w)] or head
    latin = [w for w in head if w.isascii() and w.isalpha()] or head
    queries = []
    for i in range(count):
        kind = i % 6
        if kind == 0:
            queries.append({"q": rng.choice(persian)})
        elif kind == 1:
            queries.append({"q": rng.choice(latin)})
        elif kind == 2:
            queries.append({"q": f"title:{rng.choice(head)} {rng.choice(head)}"})
        elif kind == 3:
            queries.append({"q": rng.choice(persian), "language": rng.choice(LANGUAGES[:5])})
        elif kind == 4:
            start = rng.randint(1900, 2015)
            queries.append({"q": rng.choice(latin), "year": f"{start}-{start + 10}"})
        else:
            queries.append({"q": f"subject:{rng.choice(head)}", "sort": "year_desc"})
    return queries


def _get(conn: http.client.HTTPConnection, params: dict) -> tuple[float, dict]:
    start = time.perf_counter()
    conn.request("GET", "/api/search?" + urllib.parse.urlencode(params, doseq=True))
    body = conn.getresponse().read()
    return (time.perf_counter() - start) * 1000, json.loads(body)


def big_term(conn: http.client.HTTPConnection, queries: list[dict], runs: int = 30) -> None:
    """The issue's reference case: the word nearest to 58.9 % of records, top 20 + count + two facets."""
    from generate import _vocabulary, seed_records

    total = _get(conn, {"q": "", "facet": "language", "kind": "all"})[1]["total"]
    candidates = [(w, _get(conn, {"q": w, "facet": "language", "kind": "all"})[1]["total"])
                  for w in _vocabulary(seed_records())[:30]]
    word, hits = min(candidates, key=lambda c: abs(c[1] / total - 0.589))
    for label, params in (("two facets", {"facet": ["language", "year"]}), ("all five facets", {})):
        times = sorted(_get(conn, {"q": word, **params})[0] for _ in range(runs))
        print(f"big term {word!r} matches {hits} of {total} records ({hits / total:.1%}): top 20 + count + "
              f"{label}: median {statistics.median(times):.1f} ms over HTTP")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    with serving(instance_env(args.data_dir), args.port, ready="/api/openapi.json"):
        queries = mixed_queries(args.queries)
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
        for q in queries[:20]:  # warm the index's caches as a running server would be
            conn.request("GET", "/api/search?" + urllib.parse.urlencode(q))
            conn.getresponse().read()
        latencies, totals = [], []
        for q in queries:
            start = time.perf_counter()
            conn.request("GET", "/api/search?" + urllib.parse.urlencode(q))
            response = conn.getresponse()
            body = response.read()
            latencies.append((time.perf_counter() - start) * 1000)
            if response.status != 200:
                raise SystemExit(f"{q}: HTTP {response.status}: {body[:300]!r}")
            totals.append(json.loads(body)["total"])
        big_term(conn, queries)
        print(
            f"search over HTTP, {len(queries)} mixed queries: p50 {percentile(latencies, 50):.1f} ms, "
            f"p95 {percentile(latencies, 95):.1f} ms, p99 {percentile(latencies, 99):.1f} ms, "
            f"max {max(latencies):.1f} ms; hits per query median {statistics.median(totals):.0f}, max {max(totals)}"
        )


if __name__ == "__main__":
    main()

"""IIIF Image API: latency and throughput of uncached 512-pixel tiles, beside the PyPI ``iiif`` reference server.

  python bench/iiif.py [--width 6000] [--height 4000] [--reference-tiles 48]

Makes a real-size page (Persian text set in Noto on off-white paper, as the tests' ``page_scan``), registers it
in a temporary data directory (``kitabkhana iiif add-image``), serves it with ``kitabkhana serve`` and asks, over
HTTP, for every 512-pixel tile of the pyramid at scale factors 1, 2, 4 and 8 (``/x,y,w,h/512,/0/default.jpg``,
as OpenSeadragon does): first one client after another (p50/p95 latency), then the tiles of a grid shifted by
256 pixels with two concurrent clients (tiles/s), so every request misses the derivative cache. The same page
is then served by the ``iiif`` reference implementation (``iiif_testserver.py``, PIL manipulator, from the
master JPEG) and measured the same way on the first ``--reference-tiles`` tiles. Targets (issue 5): p50 ≤ 20 ms
and at least 15 times the reference's throughput.
"""

from __future__ import annotations

import argparse
import http.client
import math
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import free_port, instance_env, percentile, run_kitabkhana, serving, wait_for  # noqa: E402
from kitabkhana.imaging.specimen import PERSIAN_TEXT, page_render  # noqa: E402

IDENTIFIER = "bench-page"
TILE = 512


def tile_paths(width: int, height: int, *, prefix: str, offset: int = 0, factors=(1, 2, 4, 8)) -> list[str]:
    paths = []
    for factor in factors:
        span = TILE * factor
        for y in range(offset, height, span):
            for x in range(offset, width, span):
                w, h = min(span, width - x), min(span, height - y)
                size = math.ceil(w / factor)
                paths.append(f"{prefix}/{IDENTIFIER}/{x},{y},{w},{h}/{size},/0/default.jpg")
    return paths


def fetch(port: int, path: str) -> tuple[float, int, str]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return time.perf_counter() - started, response.status, response.getheader("X-Derivative-Cache", "")
    finally:
        conn.close()


def sequential(port: int, paths: list[str]) -> list[float]:
    times = []
    for path in paths:
        seconds, status, cache = fetch(port, path)
        if status != 200 or cache == "hit":
            raise SystemExit(f"{path}: status {status}, derivative cache {cache or '-'}")
        times.append(seconds)
    return times


def concurrent(port: int, paths: list[str], clients: int = 2) -> float:
    """Tiles per second with ``clients`` threads sharing the list."""
    queue = list(paths)
    lock = threading.Lock()
    failures: list[str] = []

    def client() -> None:
        while True:
            with lock:
                if not queue:
                    return
                path = queue.pop()
            _, status, cache = fetch(port, path)
            if status != 200 or cache == "hit":
                failures.append(f"{path}: {status} {cache}")

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit("failed requests:\n" + "\n".join(failures[:5]))
    return len(paths) / elapsed


def measure(port: int, paths: list[str], shifted: list[str]) -> dict:
    fetch(port, paths[0].replace("/0/default.jpg", "/0/gray.jpg"))  # warm the process (imports, first open)
    times = sequential(port, paths)
    return {"tiles": len(paths), "p50_ms": percentile(times, 50) * 1000, "p95_ms": percentile(times, 95) * 1000,
            "tiles_per_s": concurrent(port, shifted)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=6000)
    parser.add_argument("--height", type=int, default=4000)
    parser.add_argument("--reference-tiles", type=int, default=48)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kk-bench-iiif-"))
    try:
        images = work / "images"
        images.mkdir()
        master = images / f"{IDENTIFIER}.jpg"
        started = time.perf_counter()
        page_render(master, "\n".join([PERSIAN_TEXT] * 6), width=args.width, height=args.height, dpi=400)
        env = instance_env(work / "data")
        run_kitabkhana(env, "migrate", "--verbosity", "0")
        run_kitabkhana(env, "iiif", "add-image", str(master), "--identifier", IDENTIFIER)
        print(f"page {args.width} × {args.height} made and registered in {time.perf_counter() - started:.1f} s")

        port = free_port()
        paths = tile_paths(args.width, args.height, prefix="/iiif/3")
        shifted = tile_paths(args.width, args.height, prefix="/iiif/3", offset=TILE // 2)
        with serving(env, port, ready=f"/iiif/3/{IDENTIFIER}/info.json", what="kitabkhana"):
            ours = measure(port, paths, shifted)

        ref_port = free_port()
        ref_prefix = "/3.0_pil"
        reference = subprocess.Popen(
            [sys.executable, str(Path(sys.executable).with_name("iiif_testserver.py")), "--image-dir", str(images),
             "--port", str(ref_port), "--host", "127.0.0.1", "--api-versions", "3.0", "--manipulators", "pil",
             "--quiet"],
            cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(ref_port, f"{ref_prefix}/{IDENTIFIER}/info.json", what="iiif reference server", process=reference)
            n = args.reference_tiles
            theirs = measure(ref_port, tile_paths(args.width, args.height, prefix=ref_prefix)[:n],
                             tile_paths(args.width, args.height, prefix=ref_prefix, offset=TILE // 2)[:n])
        finally:
            reference.terminate()
            reference.wait(timeout=30)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"{'server':<28}{'tiles':>7}{'p50 ms':>9}{'p95 ms':>9}{'tiles/s (2 clients)':>22}")
    for name, figures in (("kitabkhana (pyvips)", ours), ("iiif reference (PIL)", theirs)):
        print(f"{name:<28}{figures['tiles']:>7}{figures['p50_ms']:>9.1f}{figures['p95_ms']:>9.1f}"
              f"{figures['tiles_per_s']:>22.1f}")
    ratio = ours["tiles_per_s"] / theirs["tiles_per_s"]
    print(f"throughput ratio: {ratio:.1f}× the reference (target ≥ 15×); p50 {ours['p50_ms']:.1f} ms (target ≤ 20 ms)")
    print(f"targets {'met' if ratio >= 15 and ours['p50_ms'] <= 20 else 'NOT met'}")


if __name__ == "__main__":
    main()

"""The derivative cache of the Image API: rendered responses on disk under ``<DATA_DIR>/iiif/cache/``.

A file is named by a hash of the image (its row and master checksum, so a re-registered identifier never sees
an old derivative) and the canonical request, so equivalent requests share one file. The cache is bounded by
KITABKHANA["IIIF_CACHE_MAX_BYTES"] (default 2 GB): each process keeps a running total of what it wrote and,
when the total passes the bound, removes the least recently used files (by modification time, which a hit
refreshes) down to 80% of it. Reads never decide access: the view checks the reader first.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from pathlib import Path

from django.conf import settings

DEFAULT_MAX_BYTES = 2 * 1024**3
_lock = threading.Lock()
_state: dict[str, int | None] = {"total": None}

log = logging.getLogger(__name__)


def cache_dir() -> Path:
    return Path(settings.KITABKHANA["DATA_DIR"]) / "iiif" / "cache"


def cache_max_bytes() -> int:
    return int(settings.KITABKHANA.get("IIIF_CACHE_MAX_BYTES", DEFAULT_MAX_BYTES))


def cache_key(*, image_pk: int, master_sha256: str, identifier: str, canonical: str) -> str:
    return hashlib.sha256(f"{image_pk}|{master_sha256}|{identifier}|{canonical}".encode()).hexdigest()


def _path(key: str, fmt: str) -> Path:
    return cache_dir() / key[:2] / f"{key}.{fmt}"


def cache_get(key: str, fmt: str) -> bytes | None:
    path = _path(key, fmt)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        os.utime(path)  # recently used: pruned last
    except OSError:
        pass
    return data


def _files() -> list[tuple[float, int, Path]]:
    found = []
    for entry in cache_dir().glob("*/*"):
        try:
            stat = entry.stat()
        except OSError:
            continue
        found.append((stat.st_mtime, stat.st_size, entry))
    return found


def cache_prune(*, target: int | None = None) -> int:
    """Remove the least recently used files until the cache holds at most ``target`` bytes; the bytes kept."""
    limit = cache_max_bytes()
    target = int(limit * 0.8) if target is None else target
    files = sorted(_files())
    total = sum(size for _, size, _ in files)
    for _, size, path in files:
        if total <= target:
            break
        try:
            path.unlink()
            total -= size
        except OSError:
            continue
    with _lock:
        _state["total"] = total
    return total


def cache_put(key: str, fmt: str, data: bytes) -> None:
    """Keep ``data``; written under a temporary name and renamed, so a reader never sees half a file."""
    path = _path(key, fmt)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.{time.monotonic_ns()}")
        partial.write_bytes(data)
        partial.replace(path)
    except OSError as exc:  # a full or read-only disk costs speed, not answers; say so
        log.warning("IIIF derivative cache: cannot write %s: %s", path, exc)
        return
    with _lock:
        if _state["total"] is not None:
            _state["total"] += len(data)
        total = _state["total"]
    if total is None:
        total = sum(size for _, size, _ in _files())
        with _lock:
            _state["total"] = total
    if total > cache_max_bytes():
        cache_prune()


def cache_reset() -> None:
    """Forget the running total (tests that change the data directory or the bound)."""
    with _lock:
        _state["total"] = None

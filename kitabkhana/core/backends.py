"""Load a backend chosen by dotted path in settings, lazily, once per process (like Django's mail backends)."""

from __future__ import annotations

import threading
from typing import Any

from django.utils.module_loading import import_string

_lock = threading.Lock()
_instances: dict[tuple[str, tuple], Any] = {}


def load_backend(dotted_path: str, *args: Any) -> Any:
    key = (dotted_path, args)
    with _lock:
        if key not in _instances:
            _instances[key] = import_string(dotted_path)(*args)
        return _instances[key]


def reset_backends() -> None:
    """Forget loaded backends (tests point the data directory somewhere new)."""
    with _lock:
        for backend in _instances.values():
            close = getattr(backend, "close", None)
            if close:
                close()
        _instances.clear()

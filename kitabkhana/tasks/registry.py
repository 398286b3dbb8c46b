"""Task functions by name, so a run stored in the database (or Redis) can be found again by any process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class Progress(Protocol):
    def set_total(self, total: int | None) -> None: ...
    def advance(self, done: int, message: str = "") -> None: ...


TaskFunction = Callable[..., dict[str, Any] | None]
_registry: dict[str, TaskFunction] = {}


def task(name: str) -> Callable[[TaskFunction], TaskFunction]:
    """Register ``fn(*, progress, **arguments) -> result dict`` under ``name``; it must be safe to run twice."""

    def register(fn: TaskFunction) -> TaskFunction:
        _registry[name] = fn
        return fn

    return register


def task_function(name: str) -> TaskFunction:
    if name not in _registry:
        # Tasks live in each app's tasks.py; importing them registers them.
        from django.apps import apps
        from django.utils.module_loading import module_has_submodule

        for config in apps.get_app_configs():
            if module_has_submodule(config.module, "tasks") and config.name != "kitabkhana.tasks":
                __import__(f"{config.name}.tasks")
    try:
        return _registry[name]
    except KeyError:
        raise LookupError(f"no task registered as {name!r} (known: {', '.join(sorted(_registry)) or 'none'})") from None

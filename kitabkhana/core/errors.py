"""Errors the domain apps raise for users to read; views and commands turn them into messages."""

from __future__ import annotations


class KitabkhanaError(Exception):
    """Base of the project's own errors (the pure MARC package has its own tree in marc.errors)."""


class NotFound(KitabkhanaError):
    pass


class ValidationFailed(KitabkhanaError):
    def __init__(self, message: str, messages: list | None = None):
        super().__init__(message)
        self.messages = messages or []


class ConcurrentEdit(KitabkhanaError):
    """Somebody saved the record after the editor loaded it: the edit is refused, not merged silently."""

    def __init__(self, *, record_id: int, expected_version: int, current_version: int):
        super().__init__(
            f"record {record_id} was changed by someone else (you edited version {expected_version}, "
            f"it is now at version {current_version}); reload it and apply your change again"
        )
        self.record_id = record_id
        self.expected_version = expected_version
        self.current_version = current_version

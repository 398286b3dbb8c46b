"""Writes of the access rule: the log of readings of restricted material (``item_reading`` says which)."""

from __future__ import annotations

from kitabkhana.digitization.models import AccessLogEntry, DigitalItem


def access_log_write(*, item: DigitalItem, user, ip: str | None, what: str) -> AccessLogEntry:
    """Record one reading of ``item`` (``what``: manifest, image, text, search, download) by ``user`` from ``ip``."""
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    return AccessLogEntry.objects.create(item=item, user=user if signed_in else None, ip=ip or None, what=what)

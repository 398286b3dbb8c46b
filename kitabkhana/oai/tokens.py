"""Resumption tokens: self-contained, signed, expiring, and carrying a frozen list.

A token holds everything needed to serve the next page, so the server keeps no harvest state and
any web process can answer it:

* the verb and ``metadataPrefix``, ``set`` and ``from`` of the original request;
* ``until``: the end of the list, frozen at the first request. It is the earlier of the requested
  ``until`` and the instant the harvest started, so a record changed, added or deleted during the
  harvest gets a datestamp beyond it and is left to the next incremental harvest instead of shifting
  the pages (see docs/oai-pmh.md);
* the keyset position ``(updated_at, id)`` of the last record served: the next page starts after it;
* ``cursor`` and ``completeListSize`` as computed at the first request.

The token is ``django.core.signing`` output (HMAC with the project's secret key), so a harvester
cannot alter it: any change, or a token older than ``OAI_TOKEN_LIFETIME`` seconds, is a
``badResumptionToken``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing

__all__ = ["BadToken", "HarvestState", "token_issue", "token_read", "token_lifetime"]

_SALT = "kitabkhana.oai.resumptionToken"
DEFAULT_LIFETIME = 24 * 3600


class BadToken(Exception):
    """The token was altered, has expired, or is not one of ours."""


@dataclass(frozen=True, slots=True)
class HarvestState:
    verb: str
    prefix: str
    set_spec: str  # "" for none
    from_: datetime | None  # inclusive lower bound on updated_at
    until: datetime  # exclusive upper bound on updated_at (the frozen end of the list)
    last_datestamp: datetime | None  # keyset position of the last record served
    last_id: int
    cursor: int
    complete_list_size: int


def token_lifetime() -> int:
    return int(settings.KITABKHANA.get("OAI_TOKEN_LIFETIME", DEFAULT_LIFETIME))


def _iso(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat() if value is not None else ""


def _datetime(value: str) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def token_issue(state: HarvestState, *, now: datetime) -> tuple[str, datetime]:
    """The token for ``state`` and the instant it expires."""
    payload = [
        state.verb, state.prefix, state.set_spec, _iso(state.from_), _iso(state.until),
        _iso(state.last_datestamp), state.last_id, state.cursor, state.complete_list_size,
    ]
    token = signing.dumps(payload, salt=_SALT, compress=True)
    return token, now + timedelta(seconds=token_lifetime())


def token_read(token: str) -> HarvestState:
    """The state a token carries; ``BadToken`` when it was altered or has expired."""
    try:
        payload = signing.loads(token, salt=_SALT, max_age=token_lifetime())
    except signing.SignatureExpired as exc:
        raise BadToken("the resumptionToken has expired; start the list again") from exc
    except (signing.BadSignature, ValueError) as exc:
        raise BadToken("the resumptionToken is not valid (altered, truncated or not issued here)") from exc
    try:
        verb, prefix, set_spec, from_, until, last, last_id, cursor, size = payload
        return HarvestState(
            verb=str(verb), prefix=str(prefix), set_spec=str(set_spec), from_=_datetime(from_),
            until=_datetime(until), last_datestamp=_datetime(last), last_id=int(last_id), cursor=int(cursor),
            complete_list_size=int(size),
        )
    except (TypeError, ValueError) as exc:  # signed by us but of another shape (an older release)
        raise BadToken("the resumptionToken is not valid (unknown layout)") from exc

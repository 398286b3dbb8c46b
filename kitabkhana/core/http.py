"""One bounded HTTP GET for talking to partners' servers (OAI-PMH providers, SRU servers). No Django here.

``bounded_get`` is what both protocol clients need so a slow, huge or hostile server cannot hold or
flood us:

- time: connect and read timeouts on every socket operation, and a total ``deadline`` from sending
  the request to the last byte. The read timeout bounds each silence, not the whole: a server
  trickling a byte a second would never trip it, so a watchdog timer cuts the socket when the
  deadline passes;
- size: the body is streamed and refused past ``max_bytes`` (at once when ``Content-Length`` says so).

It decides nothing about the protocol: it raises one small exception per way of failing
(``HttpUnreachable``, ``HttpTimeout``, ``HttpDeadline``, ``HttpTooLarge``, ``HttpBroken``,
``HttpRequestFailed``) and each client turns them into its own messages and retry policy.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Literal

import requests
from urllib3.exceptions import ReadTimeoutError

__all__ = [
    "BoundedResponse", "HttpBroken", "HttpDeadline", "HttpError", "HttpRequestFailed", "HttpTimeout",
    "HttpTooLarge", "HttpUnreachable", "bounded_get",
]

CHUNK_SIZE = 1 << 16


@dataclass(frozen=True)
class BoundedResponse:
    status: int
    # requests' case-insensitive mapping: headers["retry-after"] finds Retry-After.
    headers: Mapping[str, str]
    # The whole body for a status in ``read_statuses``; b"" otherwise (it was not read).
    body: bytes


class HttpError(Exception):
    """A bounded GET that failed; ``cause`` is the underlying requests/socket error, when there is one."""

    def __init__(self, message: str, *, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.cause = cause

    @property
    def cause_name(self) -> str:
        """The underlying error's class name (``ReadTimeout``, ``ConnectionError``), for messages."""
        return type(self.cause).__name__ if self.cause is not None else type(self).__name__


class HttpUnreachable(HttpError):
    """No connection to the server (refused, unknown host, reset before an answer)."""


class HttpRequestFailed(HttpError):
    """The request could not be made at all (a malformed URL, too many redirects): retrying will not help."""


class HttpTimeout(HttpError):
    """The server was silent longer than a timeout: before answering (``phase`` "answer": connect or
    the wait for the headers) or in the middle of the body (``phase`` "body")."""

    def __init__(self, message: str, *, phase: Literal["answer", "body"], cause: BaseException | None = None) -> None:
        super().__init__(message, cause=cause)
        self.phase = phase


class HttpDeadline(HttpError):
    """The response as a whole took longer than the deadline."""

    def __init__(self, message: str, *, deadline: float, cause: BaseException | None = None) -> None:
        super().__init__(message, cause=cause)
        self.deadline = deadline


class HttpTooLarge(HttpError):
    """The body is over ``limit`` bytes; ``declared`` is the Content-Length when that told us beforehand."""

    def __init__(self, message: str, *, limit: int, declared: int | None = None) -> None:
        super().__init__(message)
        self.limit = limit
        self.declared = declared


class HttpBroken(HttpError):
    """The body broke off (connection reset, bad chunking) before the deadline."""


def bounded_get(
    session: requests.Session,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    connect_timeout: float,
    read_timeout: float,
    deadline: float,
    max_bytes: int,
    read_statuses: Collection[int] = (200,),
) -> BoundedResponse:
    """GET ``url`` within the time and size limits; the body is read only for ``read_statuses``.

    An error reply's body is not read (the caller acts on its status and headers, e.g. Retry-After):
    a busy server's error page is not worth waiting for. Raises an ``HttpError`` subclass.
    """
    started = time.monotonic()
    try:
        response = session.get(url, params=params, stream=True, timeout=(connect_timeout, read_timeout))
    except requests.Timeout as exc:
        raise HttpTimeout(f"{url}: no answer within the timeout ({type(exc).__name__})", phase="answer",
                          cause=exc) from exc
    except requests.ConnectionError as exc:
        raise HttpUnreachable(f"{url}: connection failed: {exc}", cause=exc) from exc
    except requests.RequestException as exc:
        raise HttpRequestFailed(f"{url}: request failed: {exc}", cause=exc) from exc
    watchdog = threading.Timer(max(0.0, deadline - (time.monotonic() - started)), _cut, (response,))
    watchdog.daemon = True
    watchdog.start()
    try:
        body = _read(response, url, started, deadline, max_bytes) if response.status_code in read_statuses else b""
        return BoundedResponse(status=response.status_code, headers=response.headers, body=body)
    finally:
        watchdog.cancel()
        response.close()


def _read(response: requests.Response, url: str, started: float, deadline: float, max_bytes: int) -> bytes:
    declared = _content_length(response.headers.get("Content-Length"))
    if declared is not None and declared > max_bytes:
        raise HttpTooLarge(f"{url}: the response is {declared} bytes, over the limit of {max_bytes}",
                           limit=max_bytes, declared=declared)
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(chunk_size=CHUNK_SIZE):
            size += len(chunk)
            if size > max_bytes:
                raise HttpTooLarge(f"{url}: the response is over the limit of {max_bytes} bytes; refused",
                                   limit=max_bytes)
            chunks.append(chunk)
    # AttributeError: the watchdog may have closed the response under the reading thread.
    except (requests.RequestException, OSError, AttributeError) as exc:
        if time.monotonic() - started >= deadline:
            raise HttpDeadline(f"{url}: the response took longer than {deadline:g} s", deadline=deadline,
                               cause=exc) from exc
        if _is_read_timeout(exc):
            raise HttpTimeout(f"{url}: the server stopped sending ({type(exc).__name__})", phase="body",
                              cause=exc) from exc
        raise HttpBroken(f"{url}: the response broke off ({type(exc).__name__})", cause=exc) from exc
    if time.monotonic() - started >= deadline:
        raise HttpDeadline(f"{url}: the response took longer than {deadline:g} s", deadline=deadline)
    return b"".join(chunks)


def _is_read_timeout(exc: BaseException) -> bool:
    # requests reports a read timeout inside the body as a ConnectionError wrapping urllib3's error.
    return isinstance(exc, requests.Timeout) or any(isinstance(arg, ReadTimeoutError) for arg in exc.args)


def _cut(response: requests.Response) -> None:
    """Wake a read blocked on a slow server: shutting the socket down makes the read fail at once."""
    try:
        # A duplicate of the connection's descriptor: shutdown acts on the connection, whoever holds it
        # (urllib3 or, for an HTTP/1.0 reply, http.client's file object).
        with socket.socket(fileno=os.dup(response.raw.fileno())) as connection:
            connection.shutdown(socket.SHUT_RDWR)
    except (AttributeError, OSError, ValueError):
        response.close()


def _content_length(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None

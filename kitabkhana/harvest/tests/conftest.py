"""A real HTTP OAI-PMH provider for the tests: a threaded http.server whose answers the test decides."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlparse

import pytest

OAI_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
)


@dataclass
class Reply:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    # Seconds to wait after the headers and the first half of the body (a stalled provider).
    stall: float = 0.0
    # Seconds between single bytes of the body (a trickling provider that never goes quiet for long).
    trickle: float = 0.0


class Provider:
    """``provider.answer = fn(params) -> Reply``; ``provider.requests`` lists every query received."""

    def __init__(self) -> None:
        self.answer: Callable[[dict[str, str]], Reply] = lambda params: Reply(status=404)
        self.requests: list[dict[str, str]] = []
        self.url = ""


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        provider: Provider = self.server.provider  # type: ignore[attr-defined]
        params = dict(parse_qsl(urlparse(self.path).query, keep_blank_values=True))
        provider.requests.append(params)
        reply = provider.answer(params)
        self.send_response(reply.status)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            if reply.trickle:
                for byte in reply.body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(reply.trickle)
                return
            half = len(reply.body) // 2
            self.wfile.write(reply.body[:half])
            self.wfile.flush()
            if reply.stall:
                time.sleep(reply.stall)
            self.wfile.write(reply.body[half:])
        except OSError:
            pass  # the harvester hung up on us, as it should on a stalled response

    def log_message(self, format, *args) -> None:  # keep test output quiet
        pass


@pytest.fixture
def provider():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.provider = Provider()  # type: ignore[attr-defined]
    server.provider.url = f"http://127.0.0.1:{server.server_address[1]}/oai"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.provider
    server.shutdown()
    server.server_close()


def envelope(inner: str, *, verb: str = "ListRecords", token: str | None = None, response_date: str = "2026-01-01T00:00:00Z",
             complete_list_size: int | None = None) -> bytes:
    """A ListRecords response around record elements taken from real files."""
    resumption = ""
    if token is not None:
        size = f' completeListSize="{complete_list_size}"' if complete_list_size is not None else ""
        resumption = f"<resumptionToken{size}>{token}</resumptionToken>"
    return (f"{OAI_HEAD}<responseDate>{response_date}</responseDate><request verb=\"{verb}\">http://x/oai</request>"
            f"<{verb}>{inner}{resumption}</{verb}></OAI-PMH>").encode()


def identify(response_date: str = "2026-01-01T00:00:00Z", granularity: str = "YYYY-MM-DDThh:mm:ssZ") -> bytes:
    return (f"{OAI_HEAD}<responseDate>{response_date}</responseDate><request verb=\"Identify\">http://x/oai</request>"
            f"<Identify><repositoryName>test</repositoryName><baseURL>http://x/oai</baseURL>"
            f"<protocolVersion>2.0</protocolVersion><adminEmail>a@example.org</adminEmail>"
            f"<earliestDatestamp>2000-01-01T00:00:00Z</earliestDatestamp><deletedRecord>persistent</deletedRecord>"
            f"<granularity>{granularity}</granularity></Identify></OAI-PMH>").encode()

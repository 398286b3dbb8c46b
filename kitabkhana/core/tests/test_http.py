"""bounded_get on a real socket: each limit it promises, and the typed error for each way of failing."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from kitabkhana.core import http

BODY = "کتابخانه ملی ".encode() * 500  # 12 000 bytes of UTF-8


class _Server(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        path = self.path.split("?", 1)[0]
        try:
            if path == "/silent":  # says nothing at all for a while
                time.sleep(1.5)
            if path == "/busy":
                self._head(503, len(BODY), {"Retry-After": "7"})
                self.wfile.write(BODY)
            elif path == "/stall":  # half the body, then silence
                self._head(200, len(BODY))
                self.wfile.write(BODY[:6000])
                self.wfile.flush()
                time.sleep(1.5)
                self.wfile.write(BODY[6000:])
            elif path == "/trickle":  # never silent for long, never done
                self._head(200, len(BODY))
                for byte in BODY[:60]:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.05)
            elif path == "/undeclared":  # no Content-Length: the size is learnt by reading
                self.send_response(200)
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(BODY)
                self.close_connection = True
            elif path == "/cut":  # promises the whole body, hangs up after a part
                self._head(200, len(BODY))
                self.wfile.write(BODY[:100])
                self.close_connection = True
            else:
                self._head(200, len(BODY), {"X-Echo": self.path})
                self.wfile.write(BODY)
        except OSError:
            pass  # the client hung up on us, as it should

    def _head(self, status: int, length: int, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(length))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Server)
    httpd.daemon_threads, httpd.block_on_close = True, False
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def get(url: str, **limits):
    defaults = {"connect_timeout": 2, "read_timeout": 2, "deadline": 10, "max_bytes": 1_000_000}
    with requests.Session() as session:
        return http.bounded_get(session, url, **{**defaults, **limits})


def test_a_whole_body_is_read_with_its_status_and_headers(server):
    response = get(f"{server}/ok", params={"q": "کتاب"})
    assert response.status == 200 and response.body == BODY
    assert response.headers["x-echo"] == "/ok?q=%DA%A9%D8%AA%D8%A7%D8%A8"  # params encoded, headers case-blind


def test_an_error_reply_is_returned_unread(server):
    """The caller acts on a 503's status and Retry-After; its page is not worth reading."""
    response = get(f"{server}/busy")
    assert response.status == 503 and response.headers["Retry-After"] == "7" and response.body == b""
    assert get(f"{server}/busy", read_statuses=(200, 503)).body == BODY


def test_size_limit_by_content_length_and_while_reading(server):
    with pytest.raises(http.HttpTooLarge, match="12000 bytes, over the limit of 5000") as declared:
        get(f"{server}/ok", max_bytes=5000)
    assert declared.value.declared == 12000 and declared.value.limit == 5000
    with pytest.raises(http.HttpTooLarge, match="over the limit of 5000 bytes; refused") as streamed:
        get(f"{server}/undeclared", max_bytes=5000)
    assert streamed.value.declared is None
    assert get(f"{server}/undeclared").body == BODY


def test_silence_before_the_answer_and_inside_the_body_are_timeouts(server):
    with pytest.raises(http.HttpTimeout) as before:
        get(f"{server}/silent", read_timeout=0.3)
    assert before.value.phase == "answer" and before.value.cause_name == "ReadTimeout"
    started = time.monotonic()
    with pytest.raises(http.HttpTimeout) as inside:
        get(f"{server}/stall", read_timeout=0.3)
    assert inside.value.phase == "body" and time.monotonic() - started < 1.2


def test_a_trickle_is_cut_at_the_deadline(server):
    """A byte every 50 ms never trips the read timeout; the watchdog cuts the socket at the deadline."""
    started = time.monotonic()
    with pytest.raises(http.HttpDeadline, match="longer than 0.5 s") as cut:
        get(f"{server}/trickle", read_timeout=1, deadline=0.5)
    assert cut.value.deadline == 0.5 and time.monotonic() - started < 1.5


def test_a_body_cut_short_unreachable_servers_and_bad_urls(server):
    with pytest.raises(http.HttpBroken, match="broke off"):
        get(f"{server}/cut")
    with pytest.raises(http.HttpUnreachable, match="connection failed") as refused:
        get("http://127.0.0.1:9/nothing")
    assert refused.value.cause_name == "ConnectionError"
    with pytest.raises(http.HttpRequestFailed, match="request failed"):
        get("http:///no-host")


def test_the_module_imports_no_django():
    """The harvester's and the SRU client's protocol sides stand alone; so must what they share."""
    code = "import sys, kitabkhana.core.http; print(sorted(m for m in sys.modules if m.startswith('django')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"

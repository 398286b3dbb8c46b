"""The SRU client on real recorded responses (DNB, Princeton Alma, swisscovery, ZDB/xbib) served over HTTP,
on broken and hostile servers, and against our own /sru (1.2 and 2.0, MARC 21 and UNIMARC)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kitabkhana.marc.derive import summarise
from kitabkhana.sru.client import SruClient, SruClientError, parse_search_response

pytestmark = [pytest.mark.shared_data]


class _Partner(BaseHTTPRequestHandler):
    """Serves the recorded responses by path (/princeton-alma/constituents.xml), plus a few bad servers."""

    root: Path

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        path = self.path.split("?", 1)[0]
        if path == "/slow":
            time.sleep(2)
            body = b"<late/>"
        elif path == "/trickle":
            self.send_response(200)
            self.end_headers()
            try:
                for _ in range(30):  # a byte every 0.1 s: never silent long enough for a read timeout
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass
            return
        elif path == "/broken":
            body = b'<?xml version="1.0"?>\n<searchRetrieveResponse xmlns="http://www.loc.gov/zing/srw/">\n<records>'
        elif path == "/entities":
            body = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>'
                    b'<searchRetrieveResponse xmlns="http://www.loc.gov/zing/srw/">&a;</searchRetrieveResponse>')
        elif path == "/huge":
            body = b"<x>" + b"a" * 300_000 + b"</x>"
        elif path == "/html":
            body = b"<html><body>Service unavailable</body></html>"
        else:
            file = (self.root / path.lstrip("/")).resolve()
            if not file.is_relative_to(self.root) or not file.is_file():
                self.send_error(404)
                return
            body = file.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=UTF-8")
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def partner(shared_data):
    handler = type("Partner", (_Partner,), {"root": (shared_data / "sru").resolve()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads, server.block_on_close = True, False  # a trickling handler must not hold teardown
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _titles(result) -> list[str]:
    return [summarise(r.record, r.flavour).title for r in result.records if r.record is not None]


def test_dnb_marc21plus_takes_the_bibliographic_record_of_each_group(partner):
    client = SruClient(f"{partner}/metafacture-dnb/sru_dnb-241be368-d2a1-427a-a554-667b67f69ef8.xml", version="1.1")
    result = client.search("WVN=24A05", start=1891, maximum=2)
    assert result.version == "1.1" and result.total == 1910
    assert [r.position for r in result.records] == [1892, 1893]  # as the server numbered them
    assert all(r.flavour == "marc21" and str(r.record.leader)[6] == "a" for r in result.records)
    assert _titles(result)[0].startswith("StVO")
    assert result.records[0].record["001"].data == result.records[0].record["016"]["a"]


def test_zdb_response_with_holdings_records_and_many_groups(partner):
    result = SruClient(f"{partner}/xbib/zdb-sru-marcxmlplus.xml").search("x")
    assert result.total == 44 and len(result.records) == 10
    assert all(str(r.record.leader)[6] not in "uvxy" for r in result.records)
    assert _titles(result)[0].startswith("IB")


def test_alma_and_swisscovery_responses(partner):
    princeton = SruClient(f"{partner}/princeton-alma/constituents.xml").search("alma.mms_id=1")
    assert princeton.total == 2 and _titles(princeton) == ["Accessions", "Accessions"]
    swiss = SruClient(f"{partner}/swisscovery-dedupmarcxml/request_985094631499507468_1.xml").search("x")
    summary = summarise(swiss.records[0].record, "marc21")
    assert "Python workbook" in summary.title
    assert summary.isbns  # validated and normalised by summarise
    empty = SruClient(f"{partner}/princeton-alma/empty.xml").search("nothing")
    assert empty.total == 0 and empty.records == [] and empty.diagnostics == []


def test_a_record_in_a_schema_that_is_not_marc_is_listed_with_the_reason(partner):
    result = SruClient(f"{partner}/xbib/sru_picaxml.xml").search("x")
    assert len(result.records) == 3
    assert all(r.record is None and "not MARCXML" in r.error and "picaxml" in r.error for r in result.records)


def test_timeouts_bad_xml_entities_size_and_non_sru_give_clear_messages(partner):
    with pytest.raises(SruClientError, match=r"did not answer within 0.5 s|stopped sending for more than 0.5 s"):
        SruClient(f"{partner}/slow", timeout=0.5).search("x")
    with pytest.raises(SruClientError, match=r"took longer than 1 s"):
        SruClient(f"{partner}/trickle", timeout=0.5, deadline=1).search("x")
    with pytest.raises(SruClientError, match=r"not well-formed XML \(line 3\)"):
        SruClient(f"{partner}/broken").search("x")
    with pytest.raises(SruClientError, match=r"declares XML entities"):
        SruClient(f"{partner}/entities").search("x")
    with pytest.raises(SruClientError, match=r"over the limit of 100000 bytes"):
        SruClient(f"{partner}/huge", max_bytes=100_000).search("x")
    with pytest.raises(SruClientError, match=r"not an SRU searchRetrieve response: the root element is <html>"):
        SruClient(f"{partner}/html").search("x")
    with pytest.raises(SruClientError, match=r"HTTP 404"):
        SruClient(f"{partner}/no/such/file.xml").search("x")
    with pytest.raises(SruClientError, match=r"cannot reach the server"):
        SruClient("http://127.0.0.1:9/sru", timeout=1).search("x")


def test_string_packed_records_and_sru_2_diagnostics_are_read():
    body = """<?xml version="1.0"?>
<searchRetrieveResponse xmlns="http://docs.oasis-open.org/ns/search-ws/sruResponse">
 <numberOfRecords>1</numberOfRecords>
 <records><record><recordSchema>info:srw/schema/8/unimarcxml-v0.1</recordSchema>
  <recordXMLEscaping>string</recordXMLEscaping>
  <recordData>&lt;record xmlns="info:srw/schema/8/unimarcxml-v0.1"&gt;&lt;leader&gt;00000nam  2200000   450 &lt;/leader&gt;
  &lt;controlfield tag="001"&gt;X1&lt;/controlfield&gt;
  &lt;datafield tag="100" ind1=" " ind2=" "&gt;&lt;subfield code="a"&gt;20020101d2002    u  y0rusy50      ca&lt;/subfield&gt;&lt;/datafield&gt;
  &lt;datafield tag="200" ind1="1" ind2=" "&gt;&lt;subfield code="a"&gt;Туризм&lt;/subfield&gt;&lt;/datafield&gt;
  &lt;datafield tag="801" ind1=" " ind2="0"&gt;&lt;subfield code="a"&gt;RU&lt;/subfield&gt;&lt;/datafield&gt;
  &lt;/record&gt;</recordData><recordPosition>7</recordPosition></record></records>
 <diagnostics><diag:diagnostic xmlns:diag="http://docs.oasis-open.org/ns/search-ws/diagnostic">
  <diag:uri>info:srw/diagnostic/1/67</diag:uri><diag:details>marcxml</diag:details>
  <diag:message>Record not available in this schema</diag:message></diag:diagnostic></diagnostics>
</searchRetrieveResponse>""".encode()
    result = parse_search_response(body)
    assert result.version == "2.0" and result.total == 1
    record = result.records[0]
    assert record.position == 7 and record.flavour == "unimarc"
    assert record.record["200"]["a"] == "Туризм"
    assert [str(d) for d in result.diagnostics] == ["Record not available in this schema (diagnostic 67, marcxml)"]

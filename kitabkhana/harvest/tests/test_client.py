"""The protocol side against hostile and broken providers: each limit the client promises, on a real socket."""

from __future__ import annotations

import time

import pytest
from lxml import etree

from kitabkhana.harvest.client import (
    ClientLimits,
    OaiClient,
    OaiError,
    ResponseError,
    TokenLoopError,
    TransportError,
    _retry_after,
)
from kitabkhana.harvest.tests.conftest import OAI_HEAD, Reply, envelope, identify

pytestmark = pytest.mark.shared_data


def oai_records(path) -> list[str]:
    """The <record> elements of a recorded OAI-PMH response, as XML text."""
    root = etree.parse(str(path)).getroot()
    return [etree.tostring(r, encoding="unicode")
            for r in root.iter("{http://www.openarchives.org/OAI/2.0/}record")]


@pytest.fixture
def alma(shared_data) -> list[str]:
    return oai_records(shared_data / "oai-pmh/vufindharvest/marc.xml")


def client_for(provider, sleeps: list | None = None, **limits) -> OaiClient:
    defaults = {"connect_timeout": 2, "read_timeout": 2, "deadline": 10, "retries": 2, "backoff": 1.5}
    return OaiClient(provider.url, limits=ClientLimits(**{**defaults, **limits}),
                     sleep=(sleeps.append if sleeps is not None else lambda s: None))


def test_pages_follow_resumption_tokens_to_the_end(provider, alma):
    """Three pages chained by tokens; completeListSize is passed on; the last page has no token."""
    pages = {None: (alma[:40], "t1"), "t1": (alma[40:80], "t2"), "t2": (alma[80:], "")}

    def answer(params):
        inner, token = pages[params.get("resumptionToken")]
        return Reply(envelope("".join(inner), token=token, complete_list_size=100))

    provider.answer = answer
    got = list(client_for(provider).list_records(metadata_prefix="marc21", from_="2016-01-01"))
    assert [len(p.records) for p in got] == [40, 40, 20]
    assert got[0].complete_list_size == 100 and got[-1].resumption_token is None
    assert provider.requests[0] == {"verb": "ListRecords", "metadataPrefix": "marc21", "from": "2016-01-01"}
    assert provider.requests[1] == {"verb": "ListRecords", "resumptionToken": "t1"}
    first = got[0].records[0]
    assert first.header.identifier == "oai:urm_publish:9925821506101791"
    assert first.metadata.tag == "{http://www.loc.gov/MARC21/slim}record"


def test_recorded_identify_gives_granularity(provider, shared_data):
    provider.answer = lambda p: Reply((shared_data / "oai-pmh/sickle/Identify.xml").read_bytes())
    info = client_for(provider).identify()
    assert (info.granularity, info.response_date, info.deleted_record) == ("YYYY-MM-DD", "2013-02-27T10:01:15Z",
                                                                            "persistent")


def test_no_records_match_is_an_empty_list_and_other_errors_raise(provider, shared_data):
    provider.answer = lambda p: Reply((shared_data / "oai-pmh/sickle/noRecordsMatch.xml").read_bytes())
    pages = list(client_for(provider).list_records(metadata_prefix="marc21"))
    assert len(pages) == 1 and pages[0].records == [] and pages[0].response_date == "2002-02-08T14:27:19Z"
    provider.answer = lambda p: Reply((shared_data / "oai-pmh/vufindharvest/token_error_response.xml").read_bytes())
    with pytest.raises(OaiError) as caught:
        list(client_for(provider).list_records(metadata_prefix="marc21", resumption_token="foo"))
    assert caught.value.code == "badResumptionToken" and "expired" in str(caught.value)


def test_invalid_xml_is_refused_with_the_line(provider, shared_data):
    provider.answer = lambda p: Reply((shared_data / "oai-pmh/sickle/ListRecordsBroken.xml").read_bytes())
    with pytest.raises(ResponseError, match="not well-formed XML"):
        list(client_for(provider).list_records(metadata_prefix="marc21"))


def test_wrong_namespace_is_refused(provider, shared_data):
    """traject's sample without namespaces (and an OAI 1.1 namespace) is not OAI-PMH 2.0."""
    provider.answer = lambda p: Reply((shared_data / "oai-pmh/traject/sample-oai-no-namespace.xml").read_bytes())
    with pytest.raises(ResponseError, match="namespace http://www.openarchives.org/OAI/2.0/"):
        list(client_for(provider).list_records(metadata_prefix="marc21"))
    old = envelope("").replace(b"http://www.openarchives.org/OAI/2.0/", b"http://www.openarchives.org/OAI/1.1/OAI_ListRecords")
    provider.answer = lambda p: Reply(old)
    with pytest.raises(ResponseError, match="OAI_ListRecords"):
        list(client_for(provider).list_records(metadata_prefix="marc21"))


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + ']><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>&lol9;</responseDate></OAI-PMH>'
).encode()
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>&xxe;</responseDate>'
    b'<ListRecords/></OAI-PMH>'
)


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
def test_entity_attacks_are_refused_before_parsing(provider, body):
    provider.answer = lambda p: Reply(body)
    started = time.monotonic()
    with pytest.raises(ResponseError, match="declares XML entities"):
        list(client_for(provider).list_records(metadata_prefix="marc21"))
    assert time.monotonic() - started < 2


def test_the_parser_itself_expands_nothing(provider):
    """Even past the pre-check (a DOCTYPE without entities), no DTD is loaded and nothing is fetched."""
    body = (b'<?xml version="1.0"?><!DOCTYPE OAI-PMH SYSTEM "http://127.0.0.1:9/evil.dtd">'
            + envelope("")[len(b'<?xml version="1.0" encoding="UTF-8"?>\n'):])
    provider.answer = lambda p: Reply(body)
    pages = list(client_for(provider).list_records(metadata_prefix="marc21"))
    assert pages[0].records == [] and len(provider.requests) == 1


def test_a_token_loop_stops_with_a_clear_error(provider, alma):
    provider.answer = lambda p: Reply(envelope(alma[0], token="same-token"))
    with pytest.raises(TokenLoopError, match="'same-token' a second time"):
        list(client_for(provider).list_records(metadata_prefix="marc21"))
    assert len(provider.requests) == 2


def test_endless_empty_pages_are_no_progress(provider):
    counter = iter(range(10_000))
    provider.answer = lambda p: Reply(envelope("", token=f"t{next(counter)}"))
    with pytest.raises(TokenLoopError, match="brought no record"):
        list(client_for(provider, max_empty_pages=5).list_records(metadata_prefix="marc21"))
    assert len(provider.requests) == 5


def test_a_huge_record_is_rejected_and_the_page_goes_on(provider, alma):
    big = alma[1].replace("</datafield></record>", "</datafield>" + "".join(
        f'<datafield tag="500" ind1=" " ind2=" "><subfield code="a">{"x" * 9000}</subfield></datafield>'
        for _ in range(30)) + "</record>", 1)
    assert len(big) > 250_000
    provider.answer = lambda p: Reply(envelope(alma[0] + big + alma[2]))
    page = next(client_for(provider, max_record_bytes=200_000).list_records(metadata_prefix="marc21"))
    assert [r.error is None for r in page.records] == [True, False, True]
    assert "over the limit of 200000" in page.records[1].error
    assert page.records[1].header.identifier in page.records[1].error


def test_a_response_over_the_size_limit_is_refused(provider, alma):
    provider.answer = lambda p: Reply(envelope("".join(alma)))
    with pytest.raises(ResponseError, match="over the limit"):
        list(client_for(provider, max_response_bytes=50_000).list_records(metadata_prefix="marc21"))


def test_a_stalled_response_times_out_instead_of_hanging(provider, alma):
    provider.answer = lambda p: Reply(envelope(alma[0]), stall=5)
    sleeps: list[float] = []
    started = time.monotonic()
    with pytest.raises(TransportError, match="gave up after 1 retries"):
        list(client_for(provider, sleeps, read_timeout=0.3, retries=1).list_records(metadata_prefix="marc21"))
    assert time.monotonic() - started < 3 and len(provider.requests) == 2


def test_a_trickling_response_hits_the_total_deadline(provider, alma):
    """A byte every 50 ms never trips the read timeout; the per-response deadline cuts it."""
    provider.answer = lambda p: Reply(envelope(alma[0]), trickle=0.05)
    started = time.monotonic()
    with pytest.raises(TransportError, match="longer than 0.6 s"):
        list(client_for(provider, read_timeout=1, deadline=0.6, retries=0).list_records(metadata_prefix="marc21"))
    assert time.monotonic() - started < 2


def test_503_with_retry_after_waits_then_succeeds(provider, alma):
    replies = [Reply(b"busy", status=503, headers={"Retry-After": "7"}), Reply(envelope(alma[0]))]
    provider.answer = lambda p: replies.pop(0)
    sleeps: list[float] = []
    page = next(client_for(provider, sleeps).list_records(metadata_prefix="marc21"))
    assert len(page.records) == 1 and sleeps == [7.0]


def test_500_then_success_backs_off_exponentially(provider, alma):
    replies = [Reply(b"oops", status=500), Reply(b"oops", status=502), Reply(envelope(alma[0]))]
    provider.answer = lambda p: replies.pop(0)
    sleeps: list[float] = []
    page = next(client_for(provider, sleeps).list_records(metadata_prefix="marc21"))
    assert len(page.records) == 1 and sleeps == [1.5, 3.0]


def test_persistent_5xx_gives_up(provider):
    provider.answer = lambda p: Reply(b"down", status=500)
    with pytest.raises(TransportError, match="HTTP 500; gave up after 2 retries"):
        client_for(provider).identify()


def test_connection_refused_is_retried_then_reported():
    sleeps: list[float] = []
    client = OaiClient("http://127.0.0.1:9/oai", limits=ClientLimits(retries=2, backoff=1), sleep=sleeps.append)
    with pytest.raises(TransportError, match="connection failed"):
        client.identify()
    assert sleeps == [1, 2]


def test_retry_after_as_http_date_and_capped():
    assert _retry_after("120", cap=60) == 60
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT", cap=60) == 0  # in the past: go now
    assert 0 < _retry_after(time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30)), 60) <= 30


def test_identify_of_a_generated_provider(provider):
    provider.answer = lambda p: Reply(identify(granularity="YYYY-MM-DD"))
    assert client_for(provider).identify().granularity == "YYYY-MM-DD"
    assert OAI_HEAD.startswith("<?xml")


def test_the_client_imports_no_django():
    """The protocol side stands alone (another project could harvest with it): importing it loads no Django."""
    import subprocess
    import sys

    code = "import sys, kitabkhana.harvest.client; print(sorted(m for m in sys.modules if m.startswith('django')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"

"""The OAI-PMH 2.0 protocol side of harvesting: requests, responses, pages. No Django here.

``OaiClient`` asks a provider for ``Identify`` and ``ListRecords`` and turns each response into an
``OaiPage`` of ``OaiRecord``s (header + the metadata element, still XML). What it guarantees, so a
hostile or broken provider cannot hurt the harvester:

- time: connect and read timeouts on every socket operation, and a total deadline per response (a
  provider trickling one byte a second cannot hold a run forever), by ``core.http.bounded_get``;
- size: the body is streamed and refused past ``max_response_bytes`` (``bounded_get`` again); a
  single record larger than ``max_record_bytes`` is handed on as a rejected record
  (``OaiRecord.error``), the page goes on;
- XML: parsed by lxml with entities unresolved, no network and no huge trees; any ``<!ENTITY``
  (billion laughs, external entities) refuses the response before parsing;
- protocol: the root must be ``OAI-PMH`` in the OAI 2.0 namespace; ``<error>`` elements become
  ``OaiError`` (``noRecordsMatch`` is an empty list, not an error); resumption tokens are followed and a
  token seen twice, or too many empty pages in a row, stops the list with ``TokenLoopError``;
- retries: connection errors, timeouts and 5xx are retried with exponential backoff; a 503 (or 429)
  with ``Retry-After`` (seconds or an HTTP date) waits that long, capped.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests
from lxml import etree

from kitabkhana.core import http

OAI_NAMESPACE = "http://www.openarchives.org/OAI/2.0/"
_OAI = f"{{{OAI_NAMESPACE}}}"
USER_AGENT = "Kitabkhana-harvester/1.0 (OAI-PMH 2.0)"
DAY_GRANULARITY = "YYYY-MM-DD"
SECOND_GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"


class HarvestError(Exception):
    """Anything that stops a list request; the message says what and where (URL, page)."""


class TransportError(HarvestError):
    """The provider could not be reached, or kept failing, after the retries."""


class ResponseError(HarvestError):
    """The response is not acceptable OAI-PMH: too big, too slow, not XML, entities, wrong namespace."""


class TokenLoopError(HarvestError):
    """The provider's resumption tokens go round in circles (or pages stop bringing anything)."""


class OaiError(HarvestError):
    """An ``<error code="...">`` from the provider (other than noRecordsMatch)."""

    def __init__(self, code: str, message: str, url: str = "", response_date: str = "") -> None:
        self.code = code
        self.message = message
        self.response_date = response_date
        super().__init__(f"the provider answered {code}: {message or '(no message)'}" + (f" ({url})" if url else ""))


@dataclass(frozen=True)
class OaiHeader:
    identifier: str
    datestamp: str
    deleted: bool = False
    sets: tuple[str, ...] = ()


@dataclass
class OaiRecord:
    header: OaiHeader
    # The single child of <metadata> (e.g. a MARCXML <record>); None for deleted records or on error.
    metadata: etree._Element | None = None
    # Why the record cannot be used (too big, no metadata), for the run to reject and go on.
    error: str | None = None


@dataclass
class OaiPage:
    url: str
    response_date: str
    records: list[OaiRecord] = field(default_factory=list)
    # The token to ask for the next page; None when this page is the last one.
    resumption_token: str | None = None
    complete_list_size: int | None = None
    cursor: int | None = None


@dataclass(frozen=True)
class Identify:
    repository_name: str
    base_url: str
    protocol_version: str
    granularity: str
    earliest_datestamp: str
    deleted_record: str
    response_date: str


def parse_datestamp(value: str) -> datetime:
    """An OAI UTC datestamp (day or second granularity) as an aware datetime; ValueError otherwise."""
    value = value.strip()
    if len(value) == 10:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    return datetime.strptime(value.rstrip("Z").split(".")[0], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)


def format_datestamp(moment: datetime, granularity: str) -> str:
    """``moment`` in the provider's granularity (a day-granular provider refuses seconds: badArgument)."""
    moment = moment.astimezone(UTC)
    if granularity == DAY_GRANULARITY:
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class ClientLimits:
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    # Whole response, from sending the request to the last byte.
    deadline: float = 300.0
    max_response_bytes: int = 200 * 1024 * 1024
    max_record_bytes: int = 1024 * 1024
    retries: int = 4
    backoff: float = 2.0
    backoff_max: float = 120.0
    retry_after_max: float = 600.0
    # Pages in a row with no record and a fresh token before we call it a loop.
    max_empty_pages: int = 50


class OaiClient:
    """One provider (``base_url``); ``sleep`` is injectable so tests need not wait for backoffs."""

    def __init__(
        self,
        base_url: str,
        *,
        limits: ClientLimits | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.base_url = base_url
        self.limits = limits or ClientLimits()
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", USER_AGENT)
        self.sleep = sleep
        self.log = log or (lambda message: None)

    # ------------------------------------------------------------------ verbs

    def identify(self) -> Identify:
        root, url = self._request({"verb": "Identify"})
        node = root.find(f"{_OAI}Identify")
        if node is None:
            raise ResponseError(f"{url}: the Identify response has no <Identify> element")

        def text(name: str) -> str:
            return (node.findtext(f"{_OAI}{name}") or "").strip()

        return Identify(
            repository_name=text("repositoryName"), base_url=text("baseURL"),
            protocol_version=text("protocolVersion"), granularity=text("granularity") or DAY_GRANULARITY,
            earliest_datestamp=text("earliestDatestamp"), deleted_record=text("deletedRecord"),
            response_date=(root.findtext(f"{_OAI}responseDate") or "").strip(),
        )

    def list_records(
        self,
        *,
        metadata_prefix: str,
        set_spec: str = "",
        from_: str = "",
        until: str = "",
        resumption_token: str | None = None,
        prefetch: bool = True,
    ) -> Iterator[OaiPage]:
        """Every page of a ListRecords, following resumption tokens (or from ``resumption_token`` on).

        With ``prefetch`` the next page is fetched and parsed in a thread while the caller stores the
        current one: the provider's time and ours overlap instead of adding up.
        """
        seen: set[str] = set()
        empty_pages = 0
        first = {"verb": "ListRecords", "metadataPrefix": metadata_prefix}
        for name, value in (("set", set_spec), ("from", from_), ("until", until)):
            if value:
                first[name] = value
        params = {"verb": "ListRecords", "resumptionToken": resumption_token} if resumption_token else first
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oai-prefetch") if prefetch else None
        pending = pool.submit(self.list_records_page, params) if pool else None
        try:
            while True:
                page = pending.result() if pending is not None else self.list_records_page(params)
                pending = None
                stop: HarvestError | None = None
                token = page.resumption_token
                if token:
                    empty_pages = empty_pages + 1 if not page.records else 0
                    if token in seen or token == params.get("resumptionToken"):
                        stop = TokenLoopError(
                            f"{page.url}: the provider sent resumption token {token!r} a second time; "
                            "stopping instead of harvesting the same pages forever"
                        )
                    elif empty_pages >= self.limits.max_empty_pages:
                        stop = TokenLoopError(
                            f"{page.url}: {empty_pages} pages in a row brought no record; the provider is not "
                            "progressing"
                        )
                    else:
                        seen.add(token)
                        params = {"verb": "ListRecords", "resumptionToken": token}
                        if pool is not None:
                            pending = pool.submit(self.list_records_page, params)
                yield page
                if stop is not None:
                    raise stop
                if not token:
                    return
        finally:
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)

    def list_records_page(self, params: dict[str, str]) -> OaiPage:
        try:
            root, url = self._request(params)
        except OaiError as exc:
            if exc.code == "noRecordsMatch":
                return OaiPage(url=self.base_url, response_date=exc.response_date, records=[])
            raise
        page = OaiPage(url=url, response_date=(root.findtext(f"{_OAI}responseDate") or "").strip())
        body = root.find(f"{_OAI}ListRecords")
        if body is None:
            raise ResponseError(f"{url}: the response has no <ListRecords> element")
        for element in body.iterchildren(f"{_OAI}record"):
            page.records.append(self._record(element, url))
        token = body.find(f"{_OAI}resumptionToken")
        if token is not None:
            page.resumption_token = (token.text or "").strip() or None
            page.complete_list_size = _int_or_none(token.get("completeListSize"))
            page.cursor = _int_or_none(token.get("cursor"))
        return page

    # ------------------------------------------------------------------ parsing

    def _record(self, element: etree._Element, url: str) -> OaiRecord:
        header_node = element.find(f"{_OAI}header")
        if header_node is None:
            return OaiRecord(OaiHeader("", ""), error=f"{url}: a <record> without a <header>")
        header = OaiHeader(
            identifier=(header_node.findtext(f"{_OAI}identifier") or "").strip(),
            datestamp=(header_node.findtext(f"{_OAI}datestamp") or "").strip(),
            deleted=header_node.get("status") == "deleted",
            sets=tuple((s.text or "").strip() for s in header_node.iterchildren(f"{_OAI}setSpec")),
        )
        if not header.identifier:
            return OaiRecord(header, error=f"{url}: a record header without an <identifier>")
        if header.deleted:
            return OaiRecord(header)
        metadata = element.find(f"{_OAI}metadata")
        children = [c for c in metadata if isinstance(c.tag, str)] if metadata is not None else []
        if len(children) != 1:
            return OaiRecord(header, error=f"{header.identifier}: <metadata> holds {len(children)} elements, not one")
        size = len(etree.tostring(children[0]))
        if size > self.limits.max_record_bytes:
            return OaiRecord(header, error=(
                f"{header.identifier}: the record is {size} bytes of XML, over the limit of "
                f"{self.limits.max_record_bytes}; rejected"
            ))
        return OaiRecord(header, metadata=children[0])

    def _parse(self, body: bytes, url: str) -> etree._Element:
        if b"<!ENTITY" in body:
            raise ResponseError(f"{url}: the response declares XML entities (<!ENTITY); refused")
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, remove_comments=True,
            remove_pis=True,
        )
        try:
            root = etree.fromstring(body, parser)
        except etree.XMLSyntaxError as exc:
            raise ResponseError(f"{url}: the response is not well-formed XML (line {exc.lineno}): {exc.msg}") from None
        if root is None:
            raise ResponseError(f"{url}: the response is empty")
        if root.tag != f"{_OAI}OAI-PMH":
            raise ResponseError(
                f"{url}: not an OAI-PMH 2.0 response: the root element is <{root.tag}>, "
                f"expected <OAI-PMH> in the namespace {OAI_NAMESPACE}"
            )
        error = root.find(f"{_OAI}error")
        if error is not None:
            raise OaiError(error.get("code") or "unknown", (error.text or "").strip(), url,
                           (root.findtext(f"{_OAI}responseDate") or "").strip())
        return root

    # ------------------------------------------------------------------ transport

    def _request(self, params: dict[str, str]) -> tuple[etree._Element, str]:
        url = requests.Request("GET", self.base_url, params=params).prepare().url or self.base_url
        body = self._fetch(url)
        return self._parse(body, url), url

    def _fetch(self, url: str) -> bytes:
        limits = self.limits
        attempt = 0
        while True:
            try:
                return self._fetch_once(url)
            except _Retry as retry:
                attempt += 1
                if attempt > limits.retries:
                    raise TransportError(f"{url}: {retry.reason}; gave up after {limits.retries} retries") from None
                wait = retry.wait if retry.wait is not None else min(limits.backoff * 2 ** (attempt - 1),
                                                                     limits.backoff_max)
                self.log(f"{url}: {retry.reason}; retry {attempt} of {limits.retries} in {wait:.0f} s")
                self.sleep(wait)

    def _fetch_once(self, url: str) -> bytes:
        limits = self.limits
        try:
            response = http.bounded_get(
                self.session, url, connect_timeout=limits.connect_timeout, read_timeout=limits.read_timeout,
                deadline=limits.deadline, max_bytes=limits.max_response_bytes,
            )
        except http.HttpTimeout as exc:
            reason = "timed out" if exc.phase == "answer" else "the response stalled or broke off"
            raise _Retry(f"{reason} ({exc.cause_name})") from None
        except http.HttpBroken as exc:
            raise _Retry(f"the response stalled or broke off ({exc.cause_name})") from None
        except http.HttpDeadline:
            raise _Retry(f"the response took longer than {limits.deadline:g} s") from None
        except http.HttpUnreachable as exc:
            raise _Retry(f"connection failed: {exc.cause}") from None
        except http.HttpTooLarge as exc:
            raise ResponseError(str(exc)) from None  # names the URL and the limit
        except http.HttpRequestFailed as exc:
            raise TransportError(f"{url}: request failed: {exc.cause}") from None
        status = response.status
        if status in (429, 503) and response.headers.get("Retry-After"):
            wait = _retry_after(response.headers["Retry-After"], limits.retry_after_max)
            raise _Retry(f"HTTP {status} (Retry-After {response.headers['Retry-After']})", wait)
        if status >= 500:
            raise _Retry(f"HTTP {status}")
        if status != 200:
            raise TransportError(f"{url}: HTTP {status}")
        return response.body


class _Retry(Exception):
    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


def _retry_after(value: str, cap: float) -> float:
    """Retry-After as seconds to wait: delta-seconds or an HTTP date, never negative, at most ``cap``."""
    value = value.strip()
    if value.isdigit():
        return min(float(value), cap)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return min(60.0, cap)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, min((when - datetime.now(UTC)).total_seconds(), cap))


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None

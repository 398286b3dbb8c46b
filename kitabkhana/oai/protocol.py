"""The OAI-PMH 2.0 protocol: arguments in, one XML response out.

``oai_response`` checks the arguments the way the specification's error conditions say (section
3.6 and each verb's list), answers the verb from ``selectors``, and writes the response. Errors are
normal responses (HTTP 200) with one or more ``<error>`` elements; after ``badVerb`` and
``badArgument`` the ``<request>`` element carries no attributes, after other errors it echoes the
arguments.

The XML is written as text with escaping (``formats.xml_text``) rather than as an element tree: a
ListRecords page of 200 MARC records is ~10 000 elements, and string writing keeps a full harvest
above 3 000 records/s (bench/oai_serve.py). The test suite parses every response it makes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from kitabkhana.oai import selectors
from kitabkhana.oai.formats import FORMATS, CannotDisseminate, metadata_xml, xml_attribute, xml_text
from kitabkhana.oai.tokens import BadToken, HarvestState, token_issue, token_read

__all__ = ["OaiError", "oai_response", "repository_identifier", "oai_identifier", "DEFAULT_PAGE_SIZE"]

OAI_NAMESPACE = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_IDENTIFIER_NAMESPACE = "http://www.openarchives.org/OAI/2.0/oai-identifier"
OAI_IDENTIFIER_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"
XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
DEFAULT_PAGE_SIZE = 200

# verb -> (required arguments, optional arguments, may resume with resumptionToken)
_VERBS: dict[str, tuple[tuple[str, ...], tuple[str, ...], bool]] = {
    "Identify": ((), (), False),
    "ListMetadataFormats": ((), ("identifier",), False),
    "ListSets": ((), (), True),
    "ListIdentifiers": (("metadataPrefix",), ("from", "until", "set"), True),
    "ListRecords": (("metadataPrefix",), ("from", "until", "set"), True),
    "GetRecord": (("identifier", "metadataPrefix"), (), False),
}
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_SECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z")
# Specification 2.6 (setSpec) and the oai-identifier scheme's repositoryIdentifier.
_SET_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*\Z")
_REPOSITORY_IDENTIFIER = re.compile(r"[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+\Z")
_FALLBACK_REPOSITORY_IDENTIFIER = "kitabkhana.localhost"
# OAI-PMH.xsd emailType: the domain must have a dot, so Django's default "webmaster@localhost" is invalid.
_EMAIL = re.compile(r"\S+@(\S+\.)+\S+\Z")


class OaiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _Errors(Exception):
    """Errors that the specification answers with a bare <request> (badVerb, badArgument)."""

    def __init__(self, errors: list[OaiError]) -> None:
        super().__init__(errors[0].message)
        self.errors = errors


# ----------------------------------------------------------------------------------------- identifiers


def repository_identifier(host: str) -> str:
    """``OAI_REPOSITORY_IDENTIFIER`` if set, else the host name when it is a valid one (a dotted domain).

    Identifiers are meant to last: production sets the setting, so that a change of host name or a
    request through an IP address does not change every record's identifier.
    """
    configured = settings.KITABKHANA.get("OAI_REPOSITORY_IDENTIFIER")
    if configured:
        return str(configured)
    name = host.rsplit(":", 1)[0].lower() if not host.startswith("[") else ""
    return name if _REPOSITORY_IDENTIFIER.match(name) else _FALLBACK_REPOSITORY_IDENTIFIER


def oai_identifier(repository: str, record_id: int) -> str:
    return f"oai:{repository}:{record_id}"


def _record_id(identifier: str, repository: str) -> int:
    scheme, _, rest = identifier.partition(":")
    repo, _, local = rest.partition(":")
    if scheme != "oai" or repo.lower() != repository.lower() or not local.isascii() or not local.isdigit() or (
        str(int(local)) != local
    ):
        raise OaiError("idDoesNotExist", f"{identifier!r} is not an identifier of this repository "
                                         f"(they read oai:{repository}:<number>)")
    return int(local)


# ----------------------------------------------------------------------------------------- dates


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_date(name: str, value: str) -> tuple[datetime, timedelta]:
    """The instant a from/until value starts and the length of its granule (a day or a second)."""
    try:
        if _DAY.match(value):
            return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC), timedelta(days=1)
        if _SECONDS.match(value):
            return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC), timedelta(seconds=1)
    except ValueError:
        raise OaiError("badArgument", f"{name}={value!r} is not a real date") from None
    raise OaiError("badArgument", f"{name}={value!r}: expected YYYY-MM-DD or {GRANULARITY} (UTC, no finer "
                                  "than seconds)")


def _date_range(arguments: Mapping[str, str], now: datetime) -> tuple[datetime | None, datetime]:
    """(inclusive start, exclusive end) of the requested datestamps; the end never beyond ``now``."""
    start = end = None
    if "from" in arguments:
        start, from_granule = _parse_date("from", arguments["from"])
    if "until" in arguments:
        until, until_granule = _parse_date("until", arguments["until"])
        if start is not None and from_granule != until_granule:
            raise OaiError("badArgument", "from and until must have the same granularity")
        if start is not None and start > until:
            raise OaiError("badArgument", "from is later than until")
        try:
            end = until + until_granule  # until is inclusive: the whole day or second it names
        except OverflowError:
            end = None
    # Freezing the end at the first request is what keeps pages stable while records change (tokens.py).
    return start, min(end, now) if end is not None else now


# ----------------------------------------------------------------------------------------- XML


def _header(record: selectors.OaiRecord, repository: str) -> str:
    status = ' status="deleted"' if record.deleted else ""
    specs = "".join(f"<setSpec>{s}</setSpec>" for s in record.set_specs if _SET_SPEC.match(s))  # as in ListSets
    return (f"<header{status}><identifier>{xml_text(oai_identifier(repository, record.id))}</identifier>"
            f"<datestamp>{_utc(record.updated_at)}</datestamp>{specs}</header>")


def _envelope(now: datetime, base_url: str, attributes: Mapping[str, str], body: Sequence[str]) -> bytes:
    attrs = "".join(f' {k}="{xml_attribute(v)}"' for k, v in attributes.items())
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<OAI-PMH xmlns="{OAI_NAMESPACE}" xmlns:xsi="{XSI_NAMESPACE}" '
        f'xsi:schemaLocation="{OAI_NAMESPACE} {OAI_SCHEMA}">'
        f"<responseDate>{_utc(now)}</responseDate><request{attrs}>{xml_text(base_url)}</request>"
    )
    return "".join([head, *body, "</OAI-PMH>\n"]).encode("utf-8")


def _error_xml(errors: Sequence[OaiError]) -> list[str]:
    return [f'<error code="{e.code}">{xml_text(e.message)}</error>' for e in errors]


# ----------------------------------------------------------------------------------------- arguments


def _arguments(params: Mapping[str, Sequence[str]]) -> tuple[str, dict[str, str]]:
    verbs = list(params.get("verb", []))
    if len(verbs) != 1:
        message = "the verb argument is missing" if not verbs else "the verb argument is repeated"
        raise _Errors([OaiError("badVerb", message)])
    verb = verbs[0]
    if verb not in _VERBS:
        raise _Errors([OaiError("badVerb", f"{verb!r} is not an OAI-PMH verb ({', '.join(_VERBS)})")])
    required, optional, resumable = _VERBS[verb]
    allowed = {*required, *optional, *(("resumptionToken",) if resumable else ())}
    errors: list[OaiError] = []
    arguments: dict[str, str] = {}
    for name, values in params.items():
        if name == "verb":
            continue
        if name not in allowed:
            errors.append(OaiError("badArgument", f"{name!r} is not an argument of {verb}"))
        elif len(values) != 1:
            errors.append(OaiError("badArgument", f"the {name} argument is repeated"))
        elif not values[0]:
            errors.append(OaiError("badArgument", f"the {name} argument is empty"))
        else:
            arguments[name] = values[0]
    if not errors:
        if "resumptionToken" in arguments:
            if len(arguments) > 1:
                others = ", ".join(sorted(set(arguments) - {"resumptionToken"}))
                errors.append(OaiError("badArgument", f"resumptionToken is exclusive; it came with {others}"))
        else:
            errors += [OaiError("badArgument", f"{verb} needs the {name} argument") for name in required
                       if name not in arguments]
    if errors:
        raise _Errors(errors)
    return verb, arguments


# ----------------------------------------------------------------------------------------- verbs


class _Context:
    def __init__(self, *, base_url: str, repository: str, now: datetime) -> None:
        self.base_url = base_url
        self.repository = repository
        self.now = now

    @staticmethod
    def page_size() -> int:
        return max(1, int(settings.KITABKHANA.get("OAI_PAGE_SIZE", DEFAULT_PAGE_SIZE)))


def _admin_email(repository: str) -> str:
    """The first schema-valid of OAI_ADMIN_EMAIL, DEFAULT_FROM_EMAIL and SERVER_EMAIL.

    Identify must carry one; an address the schema refuses would make every Identify response invalid, so
    when none is usable it is webmaster at the repository identifier, a dotted domain name by construction.
    """
    for candidate in (settings.KITABKHANA.get("OAI_ADMIN_EMAIL"), settings.DEFAULT_FROM_EMAIL, settings.SERVER_EMAIL):
        if candidate and _EMAIL.match(str(candidate)):
            return str(candidate)
    return f"webmaster@{repository}"


def _identify(ctx: _Context, arguments: dict[str, str]) -> list[str]:
    earliest = selectors.earliest_datestamp() or ctx.now
    email = _admin_email(ctx.repository)
    return [
        "<Identify>",
        f"<repositoryName>{xml_text(selectors.repository_name())}</repositoryName>",
        f"<baseURL>{xml_text(ctx.base_url)}</baseURL>",
        "<protocolVersion>2.0</protocolVersion>",
        f"<adminEmail>{xml_text(email)}</adminEmail>",
        f"<earliestDatestamp>{_utc(earliest)}</earliestDatestamp>",
        "<deletedRecord>persistent</deletedRecord>",
        f"<granularity>{GRANULARITY}</granularity>",
        "<description>",
        f'<oai-identifier xmlns="{OAI_IDENTIFIER_NAMESPACE}" '
        f'xsi:schemaLocation="{OAI_IDENTIFIER_NAMESPACE} {OAI_IDENTIFIER_SCHEMA}">',
        "<scheme>oai</scheme>",
        f"<repositoryIdentifier>{xml_text(ctx.repository)}</repositoryIdentifier>",
        "<delimiter>:</delimiter>",
        f"<sampleIdentifier>{xml_text(oai_identifier(ctx.repository, 1))}</sampleIdentifier>",
        "</oai-identifier>",
        "</description>",
        "</Identify>",
    ]


def _record(ctx: _Context, identifier: str) -> selectors.OaiRecord:
    record = selectors.record_by_id(_record_id(identifier, ctx.repository))
    if record is None:
        raise OaiError("idDoesNotExist", f"{identifier!r} is not in this repository")
    return record


def _list_metadata_formats(ctx: _Context, arguments: dict[str, str]) -> list[str]:
    prefixes = list(FORMATS)
    if "identifier" in arguments:
        record = _record(ctx, arguments["identifier"])
        if not record.deleted:
            prefixes = []
            for prefix in FORMATS:
                try:
                    metadata_xml(prefix, record.marc or b"", flavour=record.flavour, kind=record.kind)
                except CannotDisseminate:
                    continue
                prefixes.append(prefix)
        if not prefixes:
            raise OaiError("noMetadataFormats", f"{arguments['identifier']} cannot be disseminated in any format")
    body = ["<ListMetadataFormats>"]
    for prefix in prefixes:
        f = FORMATS[prefix]
        body.append(f"<metadataFormat><metadataPrefix>{f.prefix}</metadataPrefix><schema>{xml_text(f.schema)}"
                    f"</schema><metadataNamespace>{xml_text(f.namespace)}</metadataNamespace></metadataFormat>")
    body.append("</ListMetadataFormats>")
    return body


def _list_sets(ctx: _Context, arguments: dict[str, str]) -> list[str]:
    if "resumptionToken" in arguments:  # the list of sets always fits in one response; we issue no token
        raise OaiError("badResumptionToken", "ListSets issues no resumptionToken; request it without one")
    body = ["<ListSets>"]
    for s in selectors.sets_all():
        if _SET_SPEC.match(s.spec):  # an institution code with characters setSpec cannot carry is left out
            body.append(f"<set><setSpec>{xml_text(s.spec)}</setSpec><setName>{xml_text(s.name)}</setName></set>")
    body.append("</ListSets>")
    return body


def _get_record(ctx: _Context, arguments: dict[str, str]) -> list[str]:
    prefix = arguments["metadataPrefix"]
    if prefix not in FORMATS:
        raise OaiError("cannotDisseminateFormat", f"{prefix!r} is not a metadata format here ({', '.join(FORMATS)})")
    record = _record(ctx, arguments["identifier"])
    if record.deleted:
        return ["<GetRecord><record>", _header(record, ctx.repository), "</record></GetRecord>"]
    try:
        metadata = metadata_xml(prefix, record.marc or b"", flavour=record.flavour, kind=record.kind)
    except CannotDisseminate as exc:
        raise OaiError("cannotDisseminateFormat", f"{arguments['identifier']} cannot be given as {prefix}: {exc}") from exc
    return ["<GetRecord><record>", _header(record, ctx.repository), "<metadata>", metadata, "</metadata></record>",
            "</GetRecord>"]


def _harvest_start(ctx: _Context, verb: str, arguments: dict[str, str]) -> tuple[HarvestState, selectors.SetFilter]:
    """The state of a new list request, after every argument check the specification asks for."""
    prefix = arguments["metadataPrefix"]
    from_, until = _date_range(arguments, ctx.now)
    set_spec = arguments.get("set", "")
    if set_spec and not _SET_SPEC.match(set_spec):
        raise OaiError("badArgument", f"set={set_spec!r} is not a setSpec")
    if prefix not in FORMATS:
        raise OaiError("cannotDisseminateFormat", f"{prefix!r} is not a metadata format here ({', '.join(FORMATS)})")
    where = selectors.set_filter(set_spec)
    if not where.exists:
        raise OaiError("noRecordsMatch", f"there is no set {set_spec!r} (ListSets lists them)")
    size = selectors.records_count(where=where, from_=from_, until=until)
    if size == 0:
        raise OaiError("noRecordsMatch", "no records match these arguments")
    state = HarvestState(verb=verb, prefix=prefix, set_spec=set_spec, from_=from_, until=until, last_datestamp=None,
                         last_id=0, cursor=0, complete_list_size=size)
    return state, where


def _list(ctx: _Context, verb: str, arguments: dict[str, str]) -> list[str]:
    resumed = "resumptionToken" in arguments
    if resumed:
        try:
            state = token_read(arguments["resumptionToken"])
        except BadToken as exc:
            raise OaiError("badResumptionToken", str(exc)) from exc
        if state.verb != verb:
            raise OaiError("badResumptionToken", f"this resumptionToken continues {state.verb}, not {verb}")
        where = selectors.set_filter(state.set_spec)
        if not where.exists:
            raise OaiError("badResumptionToken", f"the set {state.set_spec!r} of this list no longer exists")
    else:
        state, where = _harvest_start(ctx, verb, arguments)
    page_size = ctx.page_size()
    with_metadata = verb == "ListRecords"
    # A header is listed only when its record exists in the format, so ListIdentifiers reads MARC too when a
    # crosswalk may be needed (anything but oai_dc).
    with_marc = with_metadata or state.prefix != "oai_dc"
    items: list[str] = []
    after = (state.last_datestamp, state.last_id) if state.last_datestamp is not None else None
    consumed = 0
    more = False
    # Records the crosswalk refuses are skipped; a page that skipped everything reads on, so a response
    # never holds an empty list (the schema wants at least one record).
    while not items:
        rows = selectors.records_page(where=where, from_=state.from_, until=state.until, after=after,
                                      limit=page_size + 1, with_marc=with_marc)
        more = len(rows) > page_size
        for row in rows[:page_size]:
            consumed += 1
            after = (row.updated_at, row.id)
            item = _list_item(ctx, row, state.prefix, with_metadata)
            if item is not None:
                items.append(item)
        if not more:
            break
    if not items:
        # Everything left of a frozen list changed since the harvest began (it is beyond the list's end now).
        raise OaiError("noRecordsMatch", "no records remain in this list; they changed after the harvest began "
                                         "and belong to the next incremental harvest")
    body = [f"<{verb}>", *items]
    if more:
        assert after is not None
        next_state = HarvestState(
            verb=verb, prefix=state.prefix, set_spec=state.set_spec, from_=state.from_, until=state.until,
            last_datestamp=after[0], last_id=after[1], cursor=state.cursor + consumed,
            complete_list_size=state.complete_list_size,
        )
        token, expires = token_issue(next_state, now=ctx.now)
        body.append(f'<resumptionToken expirationDate="{_utc(expires)}" completeListSize="{state.complete_list_size}" '
                    f'cursor="{state.cursor}">{xml_text(token)}</resumptionToken>')
    elif resumed:
        body.append(f'<resumptionToken completeListSize="{state.complete_list_size}" cursor="{state.cursor}"/>')
    body.append(f"</{verb}>")
    return body


def _list_item(ctx: _Context, row: selectors.OaiRecord, prefix: str, with_metadata: bool) -> str | None:
    header = _header(row, ctx.repository)
    if row.deleted:
        return f"<record>{header}</record>" if with_metadata else header
    if not with_metadata and (prefix == "oai_dc" or prefix == row.flavour):
        return header
    try:
        metadata = metadata_xml(prefix, row.marc or b"", flavour=row.flavour, kind=row.kind)
    except CannotDisseminate:
        return None
    return f"<record>{header}<metadata>{metadata}</metadata></record>" if with_metadata else header


_HANDLERS = {
    "Identify": _identify,
    "ListMetadataFormats": _list_metadata_formats,
    "ListSets": _list_sets,
    "GetRecord": _get_record,
}


def oai_response(
    *, params: Mapping[str, Sequence[str]], base_url: str, repository: str, now: datetime | None = None
) -> bytes:
    """The complete XML response to one OAI-PMH request (``params``: every value of every argument)."""
    now = now or timezone.now()
    try:
        verb, arguments = _arguments(params)
    except _Errors as exc:
        return _envelope(now, base_url, {}, _error_xml(exc.errors))
    ctx = _Context(base_url=base_url, repository=repository, now=now)
    try:
        if verb in ("ListIdentifiers", "ListRecords"):
            body = _list(ctx, verb, arguments)
        else:
            body = _HANDLERS[verb](ctx, arguments)
    except OaiError as exc:
        if exc.code == "badArgument":
            return _envelope(now, base_url, {}, _error_xml([exc]))
        return _envelope(now, base_url, {"verb": verb, **arguments}, _error_xml([exc]))
    return _envelope(now, base_url, {"verb": verb, **arguments}, body)

"""The six verbs and every error condition of OAI-PMH 2.0, through /oai (GET and POST)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pymarc
import pytest

from kitabkhana.accounts.models import Institution
from kitabkhana.catalogue.models import Collection, Record
from kitabkhana.catalogue.services.records import record_delete
from kitabkhana.marc.reader import read_records
from kitabkhana.marc.writer import iso2709_to_record
from kitabkhana.oai.tests.conftest import REPOSITORY
from kitabkhana.oai.tests.oai_schema import NS

pytestmark = pytest.mark.django_db

MARCXML = "http://www.loc.gov/MARC21/slim"
DC = "http://purl.org/dc/elements/1.1/"


def _ident(record: Record) -> str:
    return f"oai:{REPOSITORY}:{record.pk}"


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------------------------- Identify


def test_identify_describes_the_repository(oai, catalogue, settings):
    """Identify names the national library, the base URL, 2.0, seconds granularity, persistent deletions."""
    settings.KITABKHANA = {**settings.KITABKHANA, "OAI_ADMIN_EMAIL": "oai@nl.example.org"}
    root = oai.get(verb="Identify")
    identify = root.find("o:Identify", NS)
    assert identify.findtext("o:repositoryName", namespaces=NS) == Institution.objects.get(code="NL").name
    assert identify.findtext("o:baseURL", namespaces=NS) == "http://testserver/oai"
    assert identify.findtext("o:protocolVersion", namespaces=NS) == "2.0"
    assert identify.findtext("o:adminEmail", namespaces=NS) == "oai@nl.example.org"
    assert identify.findtext("o:deletedRecord", namespaces=NS) == "persistent"
    assert identify.findtext("o:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.findtext("o:earliestDatestamp", namespaces=NS) == _stamp(catalogue[0].updated_at)
    description = identify.find("o:description/{http://www.openarchives.org/OAI/2.0/oai-identifier}oai-identifier", NS)
    assert description.findtext("{http://www.openarchives.org/OAI/2.0/oai-identifier}repositoryIdentifier") == REPOSITORY
    assert root.find("o:request", NS).attrib == {"verb": "Identify"}


def test_repository_identifier_from_settings(oai, catalogue, settings):
    """OAI_REPOSITORY_IDENTIFIER names the records; identifiers of another repository do not exist here."""
    settings.KITABKHANA = {**settings.KITABKHANA, "OAI_REPOSITORY_IDENTIFIER": "catalogue.nlai.example"}
    root = oai.get(verb="ListIdentifiers", metadataPrefix="marc21")
    first = root.find(".//o:header/o:identifier", NS).text
    assert first.startswith("oai:catalogue.nlai.example:")
    found = oai.get(verb="GetRecord", identifier=first, metadataPrefix="oai_dc")
    assert oai.error(found) is None
    foreign = oai.get(verb="GetRecord", identifier=first.replace("nlai", "other"), metadataPrefix="oai_dc")
    assert oai.error(foreign) == "idDoesNotExist"


@pytest.mark.parametrize("configured", ["webmaster@localhost", "", "not an address"])
def test_identify_admin_email_is_always_a_schema_valid_address(oai, db, settings, configured):
    """OAI-PMH.xsd's emailType is \\S+@(\\S+\\.)+\\S+: Django's default "webmaster@localhost" would make Identify
    invalid. An unusable OAI_ADMIN_EMAIL gives way to Django's DEFAULT_FROM_EMAIL or SERVER_EMAIL when they are valid,
    else to webmaster at the repository identifier (a dotted domain name by construction)."""
    settings.KITABKHANA = {**settings.KITABKHANA, "OAI_ADMIN_EMAIL": configured}
    settings.DEFAULT_FROM_EMAIL = "webmaster@localhost"
    settings.SERVER_EMAIL = "root@localhost"
    email = oai.get(verb="Identify").findtext("o:Identify/o:adminEmail", namespaces=NS)
    assert email == f"webmaster@{REPOSITORY}"
    settings.DEFAULT_FROM_EMAIL = "catalogue@nl.example.org"  # a valid Django address is used before inventing one
    email = oai.get(verb="Identify").findtext("o:Identify/o:adminEmail", namespaces=NS)
    assert email == "catalogue@nl.example.org"


def test_identify_accepts_no_arguments(oai, db):
    """Identify with an argument is badArgument, and the request is not echoed."""
    root = oai.get(verb="Identify", metadataPrefix="oai_dc")
    assert oai.error(root) == "badArgument"
    assert root.find("o:request", NS).attrib == {}  # no echo after badArgument


def test_identify_on_an_empty_repository(oai, db):
    """No records yet: still a valid Identify (the earliest datestamp is a lower bound for what comes)."""
    assert oai.error(oai.get(verb="Identify")) is None


# --------------------------------------------------------------------------------------------- verbs and arguments


@pytest.mark.parametrize("query", ["", "verb=Explain", "verb=Identify&verb=Identify", "verb=listrecords"])
def test_bad_verb(oai, db, query):
    """A missing, unknown, repeated or wrongly cased verb is badVerb, with a bare <request>."""
    root = oai.raw(query)
    assert oai.error(root) == "badVerb"
    assert root.find("o:request", NS).attrib == {}


@pytest.mark.parametrize("query", [
    "verb=ListRecords",  # missing metadataPrefix
    "verb=GetRecord&metadataPrefix=oai_dc",  # missing identifier
    "verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=marc21",  # repeated
    "verb=ListRecords&metadataPrefix=oai_dc&identifier=x",  # illegal for the verb
    "verb=ListSets&set=institution",  # illegal for the verb
    "verb=ListRecords&metadataPrefix=oai_dc&resumptionToken=abc",  # token is exclusive
    "verb=ListRecords&metadataPrefix=",  # empty value
    "verb=ListMetadataFormats&identifier=oai:x:1&identifier=oai:x:2",
])
def test_bad_argument(oai, db, query):
    """Missing, repeated, illegal or empty arguments, and a token with other arguments, are badArgument."""
    root = oai.raw(query)
    assert oai.error(root) == "badArgument"
    assert root.find("o:request", NS).attrib == {}


def test_post_form_is_answered_like_get(oai, catalogue):
    """POST application/x-www-form-urlencoded carries the same arguments (harvesters use it for long tokens)."""
    got = oai.get(verb="ListIdentifiers", metadataPrefix="marc21")
    posted = oai.post(verb="ListIdentifiers", metadataPrefix="marc21")
    ids = [h.text for h in got.iterfind(".//o:header/o:identifier", NS)]
    assert ids and ids == [h.text for h in posted.iterfind(".//o:header/o:identifier", NS)]


def test_other_http_methods_are_refused(client, db):
    """Only GET and POST are OAI-PMH requests."""
    assert client.put("/oai?verb=Identify").status_code == 405


# --------------------------------------------------------------------------------------------- ListMetadataFormats


def test_list_metadata_formats(oai, catalogue):
    """The three formats with their namespaces."""
    root = oai.get(verb="ListMetadataFormats")
    formats = {f.findtext("o:metadataPrefix", namespaces=NS): f.findtext("o:metadataNamespace", namespaces=NS)
               for f in root.iterfind(".//o:metadataFormat", NS)}
    assert formats == {
        "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
        "marc21": MARCXML,
        "unimarc": "info:lc/xmlns/marcxchange-v2",
    }


def test_list_metadata_formats_of_one_record(oai, catalogue):
    """For an item: its own flavour and oai_dc always; an unknown item is idDoesNotExist."""
    marc21 = next(r for r in catalogue if r.flavour == "marc21")
    root = oai.get(verb="ListMetadataFormats", identifier=_ident(marc21))
    prefixes = {p.text for p in root.iterfind(".//o:metadataPrefix", NS)}
    assert {"oai_dc", "marc21"} <= prefixes
    assert oai.error(oai.get(verb="ListMetadataFormats", identifier=f"oai:{REPOSITORY}:999999")) == "idDoesNotExist"
    assert oai.error(oai.get(verb="ListMetadataFormats", identifier="not-an-identifier")) == "idDoesNotExist"


# --------------------------------------------------------------------------------------------- GetRecord


def test_get_record_marc21_equals_the_stored_record(oai, catalogue):
    """The MARCXML of GetRecord reads back (pymarc) to the stored record, field for field."""
    record = next(r for r in catalogue if r.flavour == "marc21")
    root = oai.get(verb="GetRecord", identifier=_ident(record), metadataPrefix="marc21")
    metadata = root.find(".//o:metadata", NS)[0]
    from lxml import etree

    parsed = pymarc.parse_xml_to_array(__import__("io").BytesIO(etree.tostring(metadata)))[0]
    stored = iso2709_to_record(bytes(record.marc))
    assert str(parsed.leader) == str(stored.leader)
    assert [f.value() for f in parsed.fields] == [f.value() for f in stored.fields]
    assert [(f.tag, f.indicators if not f.is_control_field() else None) for f in parsed.fields] == [
        (f.tag, f.indicators if not f.is_control_field() else None) for f in stored.fields
    ]
    header = root.find(".//o:header", NS)
    assert header.findtext("o:datestamp", namespaces=NS) == _stamp(record.updated_at)
    assert [s.text for s in header.iterfind("o:setSpec", NS)] == ["institution:NL"]


def test_get_record_unimarc_in_marcxchange(oai, catalogue):
    """A UNIMARC record is served as MarcXchange with format="UNIMARC"; the reader takes it back unchanged."""
    record = next(r for r in catalogue if r.flavour == "unimarc")
    root = oai.get(verb="GetRecord", identifier=_ident(record), metadataPrefix="unimarc")
    element = root.find(".//o:metadata", NS)[0]
    assert element.tag == "{info:lc/xmlns/marcxchange-v2}record"
    assert element.get("format") == "UNIMARC" and element.get("type") == "Bibliographic"
    from lxml import etree

    xml = b'<?xml version="1.0" encoding="UTF-8"?>' + etree.tostring(element)
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".xml") as fh:
        fh.write(xml)
        fh.flush()
        (result,) = list(read_records(fh.name, format="marcxml", flavour="unimarc"))
    stored = iso2709_to_record(bytes(record.marc))
    assert [(f.tag, f.value()) for f in result.record.fields] == [(f.tag, f.value()) for f in stored.fields]


def test_get_record_oai_dc(oai, catalogue):
    """GetRecord in oai_dc: an oai_dc:dc element whose title holds the record's title."""
    record = next(r for r in catalogue if r.flavour == "marc21")
    root = oai.get(verb="GetRecord", identifier=_ident(record), metadataPrefix="oai_dc")
    dc = root.find(".//o:metadata", NS)[0]
    assert dc.tag == "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"
    titles = [t.text for t in dc.iterfind(f"{{{DC}}}title")]
    assert record.title and any(record.title in t for t in titles)


def test_get_record_errors(oai, catalogue):
    """Unknown prefix: cannotDisseminateFormat (arguments echoed); malformed, foreign or unknown identifiers: idDoesNotExist."""
    record = catalogue[0]
    root = oai.get(verb="GetRecord", identifier=_ident(record), metadataPrefix="mods")
    assert oai.error(root) == "cannotDisseminateFormat"
    # Errors other than badVerb/badArgument echo the request's arguments.
    assert root.find("o:request", NS).attrib == {"verb": "GetRecord", "identifier": _ident(record),
                                                 "metadataPrefix": "mods"}
    for identifier in (f"oai:{REPOSITORY}:0", f"oai:{REPOSITORY}:01", f"oai:{REPOSITORY}:abc",
                       f"oai:other.example:{record.pk}", f"{REPOSITORY}:{record.pk}",
                       f"oai:{REPOSITORY}:{2**63}", f"oai:{REPOSITORY}:{10**30}"):  # beyond a database integer
        assert oai.error(oai.get(verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc")) == "idDoesNotExist"
        assert oai.error(oai.get(verb="ListMetadataFormats", identifier=identifier)) == "idDoesNotExist"


def test_deleted_record_keeps_its_header(oai, catalogue):
    """A deleted record answers with status="deleted", its new datestamp and no metadata, in every format."""
    record = catalogue[0]
    deleted = record_delete(record=record, expected_version=record.version)
    for prefix in ("marc21", "oai_dc", "unimarc"):
        root = oai.get(verb="GetRecord", identifier=_ident(record), metadataPrefix=prefix)
        header = root.find(".//o:header", NS)
        assert header.get("status") == "deleted"
        assert header.findtext("o:datestamp", namespaces=NS) == _stamp(deleted.updated_at)
        assert root.find(".//o:metadata", NS) is None
    listed = oai.get(verb="ListRecords", metadataPrefix="marc21", set="institution:NL")
    headers = {h.findtext("o:identifier", namespaces=NS): h.get("status") for h in listed.iterfind(".//o:header", NS)}
    assert headers[_ident(record)] == "deleted"


# --------------------------------------------------------------------------------------------- ListRecords / ListIdentifiers


def test_list_records_marc21_lists_each_record_once_in_datestamp_order(oai, catalogue):
    """One page holds every record once, in datestamp order, with no resumptionToken."""
    root = oai.get(verb="ListRecords", metadataPrefix="marc21")
    ids = [h.text for h in root.iterfind(".//o:header/o:identifier", NS)]
    marc21 = [_ident(r) for r in catalogue if r.flavour == "marc21"]
    # UNIMARC records appear when the crosswalk converts them; MARC 21 ones always, in datestamp order.
    assert [i for i in ids if i in marc21] == marc21
    assert len(ids) == len(set(ids))
    assert oai.token(root) is None  # one complete page: no resumptionToken at all
    for record in root.iterfind(".//o:metadata", NS):
        assert record[0].tag == f"{{{MARCXML}}}record"


def test_list_identifiers_oai_dc_lists_everything(oai, catalogue):
    """ListIdentifiers oai_dc lists every record of both flavours in datestamp order."""
    root = oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert [h.text for h in root.iterfind(".//o:header/o:identifier", NS)] == [_ident(r) for r in catalogue]


def test_from_until_select_by_datestamp_inclusively(oai, catalogue):
    """from/until at seconds granularity are inclusive; a day covers the whole day."""
    moved = catalogue[3]
    Record.objects.filter(pk=moved.pk).update(updated_at=datetime(2001, 2, 3, 4, 5, 6, 700000, tzinfo=UTC))
    exact = oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": "2001-02-03T04:05:06Z",
                                                                        "until": "2001-02-03T04:05:06Z"})
    assert [h.text for h in exact.iterfind(".//o:identifier", NS)] == [_ident(moved)]
    day = oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": "2001-02-03", "until": "2001-02-03"})
    assert [h.text for h in day.iterfind(".//o:identifier", NS)] == [_ident(moved)]
    after = oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": "2001-02-03T04:05:07Z"})
    assert _ident(moved) not in [h.text for h in after.iterfind(".//o:identifier", NS)]
    before = oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc", until="2001-02-03T04:05:05Z")
    assert oai.error(before) == "noRecordsMatch"
    assert oai.get(verb="Identify").findtext(".//o:earliestDatestamp", namespaces=NS) == "2001-02-03T04:05:06Z"


@pytest.mark.parametrize("dates", [
    {"from": "2020-01-01", "until": "2020-01-01T00:00:00Z"},  # mixed granularity
    {"from": "2020-01-02", "until": "2020-01-01"},  # from after until
    {"from": "2020-01-01T00:00:00.5Z"},  # finer than seconds
    {"from": "2020-01-01T00:00:00+01:00"},  # not UTC
    {"until": "2020-13-01"},  # not a date
    {"from": "2020-1-1"},
    {"until": "yesterday"},
])
def test_bad_dates_are_bad_arguments(oai, db, dates):
    """Mixed granularity, from > until, sub-second or non-UTC values, impossible dates: badArgument."""
    assert oai.error(oai.get(verb="ListRecords", metadataPrefix="oai_dc", **dates)) == "badArgument"


def test_list_errors(oai, catalogue):
    """Unknown prefix, unknown set, malformed set, empty range."""
    assert oai.error(oai.get(verb="ListRecords", metadataPrefix="mods")) == "cannotDisseminateFormat"
    assert oai.error(oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc", set="institution:NOPE")) == "noRecordsMatch"
    assert oai.error(oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc", set="bad set!")) == "badArgument"
    assert oai.error(oai.get(verb="ListRecords", metadataPrefix="oai_dc", **{"from": "2999-01-01"})) == "noRecordsMatch"


def test_list_on_an_empty_repository_is_no_records_match(oai, db):
    """An empty repository lists nothing: noRecordsMatch."""
    assert oai.error(oai.get(verb="ListRecords", metadataPrefix="marc21")) == "noRecordsMatch"


# --------------------------------------------------------------------------------------------- sets


def test_sets_by_institution_and_collection(oai, catalogue):
    """ListSets lists institution:* and collection:*; a set selects its records and headers name their sets."""
    partner = Institution.objects.create(code="IR-THU", name="University of Tehran", kind="partner")
    rare = Collection.objects.create(code="rare-books", name="Rare books")
    moved, in_rare = catalogue[0], catalogue[1:4]
    Record.objects.filter(pk=moved.pk).update(institution=partner)
    for r in in_rare:
        r.collections.add(rare)
    sets = {s.findtext("o:setSpec", namespaces=NS): s.findtext("o:setName", namespaces=NS)
            for s in oai.get(verb="ListSets").iterfind(".//o:set", NS)}
    assert sets["institution:IR-THU"] == "University of Tehran"
    assert sets["collection:rare-books"] == "Rare books"
    assert {"institution", "collection", "institution:NL"} <= set(sets)

    def ids(**kw):
        return [h.text for h in oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc", **kw).iterfind(".//o:identifier", NS)]

    assert ids(set="institution:IR-THU") == [_ident(moved)]
    assert ids(set="collection:rare-books") == [_ident(r) for r in in_rare]
    assert ids(set="collection") == [_ident(r) for r in in_rare]
    assert len(ids(set="institution")) == len(catalogue)
    header = oai.get(verb="GetRecord", identifier=_ident(in_rare[0]), metadataPrefix="oai_dc").find(".//o:header", NS)
    assert [s.text for s in header.iterfind("o:setSpec", NS)] == ["institution:NL", "collection:rare-books"]
    assert oai.error(oai.get(verb="ListSets", resumptionToken="anything")) == "badResumptionToken"


def test_page_queries_do_not_grow_with_the_page(oai, catalogue, django_assert_max_num_queries, settings):
    """A ListRecords page costs a fixed number of queries (no query per record)."""
    settings.KITABKHANA = {**settings.KITABKHANA, "OAI_PAGE_SIZE": 80}
    for r in catalogue[:40]:
        r.collections.add(Collection.objects.get_or_create(code="c1", name="C1")[0])
    with django_assert_max_num_queries(8):
        root = oai.get(verb="ListRecords", metadataPrefix="oai_dc")
    assert len(root.findall(".//o:record", NS)) == 80


@pytest.mark.shared_data
def test_authority_records_are_listed(oai, db, shared_data):
    """Authority records are harvested with bibliographic ones, as MARC 21 and as oai_dc (heading as title)."""
    from kitabkhana.catalogue.services.importing import marc_file_import

    marc_file_import(path=shared_data / "authority" / "evergreen-auth-subset100.mrc")
    record = Record.objects.filter(kind="authority").first()
    root = oai.get(verb="GetRecord", identifier=_ident(record), metadataPrefix="oai_dc")
    titles = [t.text for t in root.iter(f"{{{DC}}}title")]
    assert record.title in titles
    listed = oai.get(verb="ListRecords", metadataPrefix="marc21")
    assert len(listed.findall(".//o:record", NS)) == Record.objects.filter(kind="authority").count()


def test_control_characters_become_replacement_characters(oai, catalogue):
    """A control character XML 1.0 cannot carry is written as U+FFFD; the response stays well-formed."""
    record = next(r for r in catalogue if r.flavour == "marc21")
    marc = iso2709_to_record(bytes(record.marc))
    marc["245"]["a"] = "Broken\x01title & <more>"
    from kitabkhana.catalogue.services.records import record_update

    record_update(record=record, marc_record=marc, expected_version=record.version)
    root = oai.get(verb="GetRecord", identifier=_ident(record), metadataPrefix="marc21")
    values = [sf.text for sf in root.iter(f"{{{MARCXML}}}subfield") if sf.text and sf.text.startswith("Broken")]
    assert values == ["Broken\ufffdtitle & <more>"]
    dc = oai.get(verb="GetRecord", identifier=_ident(record), metadataPrefix="oai_dc")
    assert any("Broken\ufffdtitle" in (t.text or "") for t in dc.iter(f"{{{DC}}}title"))


def test_time_moves_datestamp(oai, catalogue):
    """An edit moves the record's datestamp, so a harvest from just before it finds the record."""
    Record.objects.update(updated_at=datetime(2020, 1, 1, tzinfo=UTC))
    record = Record.objects.get(pk=catalogue[0].pk)
    since = datetime.now(UTC) - timedelta(seconds=1)
    marc = iso2709_to_record(bytes(record.marc))
    marc.add_field(pymarc.Field(tag="500", indicators=[" ", " "], subfields=[pymarc.Subfield("a", "A new note.")]))
    from kitabkhana.catalogue.services.records import record_update

    record_update(record=record, marc_record=marc, expected_version=record.version)
    root = oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": _stamp(since)})
    assert [h.text for h in root.iterfind(".//o:identifier", NS)] == [_ident(record)]

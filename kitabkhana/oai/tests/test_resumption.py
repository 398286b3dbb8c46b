"""Resumption tokens: paging, cursor and completeListSize, tampering, expiry, and records changing mid-harvest."""

from __future__ import annotations

import time

import pymarc
import pytest
from django.core import signing

from kitabkhana.catalogue.models import Record
from kitabkhana.catalogue.services.importing import marc_file_import
from kitabkhana.catalogue.services.records import record_delete, record_update
from kitabkhana.marc.writer import iso2709_to_record
from kitabkhana.oai.tests.conftest import REPOSITORY
from kitabkhana.oai.tests.oai_schema import NS

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_pages(settings):
    settings.KITABKHANA = {**settings.KITABKHANA, "OAI_PAGE_SIZE": 7}
    return 7


def _ids(pages) -> list[str]:
    return [h.text for p in pages for h in p.iterfind(".//o:header/o:identifier", NS)]


def _ident(pk: int) -> str:
    return f"oai:{REPOSITORY}:{pk}"


def test_pages_cover_the_list_once_with_consistent_cursor_and_size(oai, catalogue, small_pages):
    """Every page but the last has a token; cursors count what came before; the last token is empty."""
    pages = oai.harvest("ListIdentifiers", metadataPrefix="oai_dc")
    assert _ids(pages) == [_ident(r.pk) for r in catalogue]
    assert len(pages) == -(-len(catalogue) // small_pages)
    tokens = [oai.token(p) for p in pages]
    assert {t.get("completeListSize") for t in tokens} == {str(len(catalogue))}
    assert [int(t.get("cursor")) for t in tokens] == [i * small_pages for i in range(len(pages))]
    assert all(t.text and t.get("expirationDate") for t in tokens[:-1])
    last = tokens[-1]
    assert not (last.text or "").strip() and "expirationDate" not in last.attrib
    # Each token is echoed in the <request> of the page it asks for.
    assert pages[1].find("o:request", NS).attrib == {"verb": "ListIdentifiers", "resumptionToken": tokens[0].text}


def test_list_records_pages_carry_metadata(oai, catalogue, small_pages):
    """Paged ListRecords in a set: every record once, each with its metadata."""
    pages = oai.harvest("ListRecords", metadataPrefix="oai_dc", set="institution:NL")
    assert len(_ids(pages)) == len(catalogue)
    assert sum(len(p.findall(".//o:metadata", NS)) for p in pages) == len(catalogue)


def test_a_tampered_token_is_refused(oai, catalogue, small_pages):
    """A token re-signed with another key, truncated, garbled or extended is badResumptionToken (arguments echoed)."""
    token = oai.token(oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc")).text
    payload = signing.loads(token, salt="kitabkhana.oai.resumptionToken")
    payload[7] = 0  # rewind the cursor by hand, re-encoded without the server's key
    forged = signing.dumps(payload, salt="kitabkhana.oai.resumptionToken", key="not-the-secret", compress=True)
    for bad in (forged, token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "garbage", token + "x"):
        root = oai.get(verb="ListIdentifiers", resumptionToken=bad)
        assert oai.error(root) == "badResumptionToken"
        assert root.find("o:request", NS).attrib == {"verb": "ListIdentifiers", "resumptionToken": bad}


def test_a_token_belongs_to_its_verb(oai, catalogue, small_pages):
    """A ListIdentifiers token given to ListRecords is badResumptionToken."""
    token = oai.token(oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc")).text
    assert oai.error(oai.get(verb="ListRecords", resumptionToken=token)) == "badResumptionToken"


def test_an_expired_token_is_refused(oai, catalogue, small_pages, settings):
    """Tokens last OAI_TOKEN_LIFETIME seconds; expirationDate says when."""
    settings.KITABKHANA = {**settings.KITABKHANA, "OAI_TOKEN_LIFETIME": 1}
    first = oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = oai.token(first)
    response_date = first.findtext("o:responseDate", namespaces=NS)
    assert token.get("expirationDate") > response_date
    time.sleep(1.2)  # signing counts whole seconds: age > 1 s whatever the clock phase
    assert oai.error(oai.get(verb="ListIdentifiers", resumptionToken=token.text)) == "badResumptionToken"


def test_a_token_can_be_used_again(oai, catalogue, small_pages):
    """Tokens hold no server state: asking twice (a harvester retrying) gives the same page."""
    token = oai.token(oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc")).text
    again = [_ids([oai.get(verb="ListIdentifiers", resumptionToken=token)]) for _ in range(2)]
    assert again[0] == again[1] and len(again[0]) == small_pages


def _touch(record: Record, note: str) -> None:
    marc = iso2709_to_record(bytes(record.marc))
    marc.add_field(pymarc.Field(tag="500", indicators=[" ", " "], subfields=[pymarc.Subfield("a", note)]))
    record_update(record=record, marc_record=marc, expected_version=record.version)


def test_changes_during_a_harvest_neither_shift_pages_nor_duplicate(oai, catalogue, small_pages, demo_dir):
    """Records added, edited and deleted between pages: no record twice, every untouched one once, and the
    next incremental harvest (from the first responseDate) brings the changed ones in their new state."""
    at_start = [r.pk for r in catalogue]
    touched: dict[str, set[int]] = {"edited": set(), "deleted": set(), "added": set()}

    def change(page: int) -> None:
        fresh = list(Record.objects.order_by("updated_at", "id"))
        served = page * small_pages
        if page == 1:
            # One already served and one not yet served are edited; one not yet served is deleted.
            for r in (fresh[0], fresh[served + 2]):
                _touch(r, f"edited during the harvest, page {page}")
                touched["edited"].add(r.pk)
            victim = fresh[served + 4]
            record_delete(record=victim, expected_version=victim.version)
            touched["deleted"].add(victim.pk)
        elif page == 2:
            before = set(Record.objects.values_list("pk", flat=True))
            marc_file_import(path=demo_dir / "trln-marc-to-argot-880-fixtures.mrc")
            touched["added"] = set(Record.objects.values_list("pk", flat=True)) - before

    pages = oai.harvest("ListIdentifiers", between_pages=change, metadataPrefix="oai_dc")
    harvested = [int(i.rsplit(":", 1)[1]) for i in _ids(pages)]
    assert len(harvested) == len(set(harvested)), "a record came twice in one harvest"
    assert touched["added"] and not (set(harvested) & touched["added"]), "records added mid-harvest belong to the next one"
    changed = touched["edited"] | touched["deleted"]
    untouched = [pk for pk in at_start if pk not in changed]
    assert [pk for pk in harvested if pk in untouched] == untouched  # each exactly once, in order
    assert {int(t.get("completeListSize")) for t in map(oai.token, pages)} == {len(at_start)}

    started = pages[0].findtext("o:responseDate", namespaces=NS)
    incremental = oai.harvest("ListIdentifiers", metadataPrefix="oai_dc", **{"from": started})
    headers = {int(h.findtext("o:identifier", namespaces=NS).rsplit(":", 1)[1]): h.get("status")
               for p in incremental for h in p.iterfind(".//o:header", NS)}
    assert changed | touched["added"] <= set(headers)
    assert all(headers[pk] == "deleted" for pk in touched["deleted"])
    # Together the two harvests hold every record present at the start.
    assert set(at_start) <= set(harvested) | set(headers)


def test_a_list_whose_rest_changed_ends_with_no_records_match(oai, catalogue, small_pages):
    """If every record left in a frozen list changed after the harvest began, the next page is noRecordsMatch."""
    first = oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc")
    served = {h.text for h in first.iterfind(".//o:identifier", NS)}
    for record in Record.objects.order_by("updated_at", "id"):
        if _ident(record.pk) not in served:
            record_delete(record=record, expected_version=record.version)
    root = oai.get(verb="ListIdentifiers", resumptionToken=oai.token(first).text)
    assert oai.error(root) == "noRecordsMatch"


def test_a_set_removed_during_the_harvest_ends_the_list(oai, catalogue, small_pages):
    """A token for a collection that no longer exists is refused rather than widened to every record."""
    from kitabkhana.catalogue.models import Collection

    rare = Collection.objects.create(code="rare", name="Rare")
    for r in catalogue[:20]:
        r.collections.add(rare)
    first = oai.get(verb="ListIdentifiers", metadataPrefix="oai_dc", set="collection:rare")
    rare.delete()
    assert oai.error(oai.get(verb="ListIdentifiers", resumptionToken=oai.token(first).text)) == "badResumptionToken"

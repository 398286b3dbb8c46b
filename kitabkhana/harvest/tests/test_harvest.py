"""Harvesting into the catalogue from a replay of real recorded OAI-PMH responses, and from broken providers.

Each test starts a real HTTP provider (conftest.provider) and harvests it through ``harvest_run``: the
records are read, matched within the source's institution, stored with versions and indexed; deleted
headers withdraw the mapped records; a failed run resumes without duplicates.
"""

from __future__ import annotations

import pytest
from lxml import etree

from kitabkhana.accounts.services import institution_create
from kitabkhana.catalogue.models import Record, RecordVersion
from kitabkhana.catalogue.services.indexing import search_backend
from kitabkhana.core.errors import ValidationFailed
from kitabkhana.harvest.client import ClientLimits, OaiClient
from kitabkhana.harvest.models import HarvestedRecord, HarvestRun
from kitabkhana.harvest.services import harvest_run, harvest_source_create
from kitabkhana.harvest.tests.conftest import Reply, envelope, identify

pytestmark = [pytest.mark.shared_data, pytest.mark.django_db]
OAI = "{http://www.openarchives.org/OAI/2.0/}"


def replay(shared_data, first_page_status: list[int] | None = None):
    """Requests mapped to recorded files: Identify, then three ListRecords pages chained by their real tokens."""
    base = shared_data / "oai-pmh"
    pages = {
        None: base / "vufindharvest/marc.xml",  # 100 Alma records, token "fakeresumptiontoken"
        "fakeresumptiontoken": base / "xbib/zdb-oai-marc.xml",  # 50 ZDB records, token "26476570_50"
        "26476570_50": base / "invenio/sample_inspire_response_listrecords.xml",  # 2 records, the end
    }

    def answer(params):
        if params.get("verb") == "Identify":
            return Reply((base / "vufindharvest/identify_response.xml").read_bytes())
        if params.get("verb") == "ListRecords":
            if first_page_status and params.get("resumptionToken") == "fakeresumptiontoken":
                return Reply(b"provider failure", status=first_page_status.pop(0))
            return Reply(pages[params.get("resumptionToken")].read_bytes())
        return Reply(status=400)

    return answer


def recorded_ids(path) -> list[str]:
    root = etree.parse(str(path)).getroot()
    return [h.findtext(f"{OAI}identifier") for h in root.iter(f"{OAI}header")]


def test_replayed_harvest_stores_every_page(provider, shared_data, django_capture_on_commit_callbacks):
    partner = institution_create(code="DE-ALMA", name="Partner", kind="partner")
    provider.answer = replay(shared_data)
    source = harvest_source_create(code="alma", base_url=provider.url, institution=partner)
    with django_capture_on_commit_callbacks(execute=True):
        run = harvest_run(source=source)
    base = shared_data / "oai-pmh"
    identifiers = (recorded_ids(base / "vufindharvest/marc.xml") + recorded_ids(base / "xbib/zdb-oai-marc.xml")
                   + recorded_ids(base / "invenio/sample_inspire_response_listrecords.xml"))
    assert run.status == HarvestRun.Status.DONE, run.errors
    assert (run.pages, run.records, run.complete_list_size) == (3, len(identifiers), 809)
    assert run.new + run.rejected == len(set(identifiers)) and run.new > 140
    # Every stored record is the partner's, mapped from its OAI identifier, and findable.
    assert Record.objects.filter(institution=partner).count() == run.new
    mapping = dict(HarvestedRecord.objects.filter(source=source).values_list("identifier", "record_id"))
    assert len(mapping) == run.new and set(mapping) <= set(identifiers)
    zdb = Record.objects.get(pk=mapping["oai:d-nb.de/zdb/1024796043"])
    assert zdb.control_key == "DE-101|1024796043" and zdb.flavour == "marc21"
    assert RecordVersion.objects.filter(record=zdb).count() == 1
    assert not Record.objects.filter(institution=partner, needs_index=True).exists()  # indexed page by page
    assert search_backend().count() > 0
    job = run.import_job
    assert job.source_name == f"harvest:alma run {run.pk}" and (job.format, job.match) == ("marcxml", "replace")
    assert job.created == run.new and job.status == "done"
    source.refresh_from_db()
    assert source.harvested_until.isoformat() == "2016-07-12T16:19:54+00:00"  # Identify's responseDate
    assert source.granularity == "YYYY-MM-DDThh:mm:ssZ"
    # The same harvest again: matched by 003|001, nothing new, no new version.
    again = harvest_run(source=source, from_="2000-01-01")
    assert (again.status, again.new, again.updated, again.unchanged) == ("done", 0, 0, run.new)
    assert Record.objects.filter(institution=partner).count() == run.new
    assert provider.requests[-3]["from"] == "2000-01-01"


def test_failed_run_is_resumed_without_duplicates(provider, shared_data):
    """Page 2 fails (HTTP 500, no retries left): the run keeps page 1 and its token; --resume finishes it."""
    partner = institution_create(code="DE-ALMA", name="Partner", kind="partner")
    provider.answer = replay(shared_data, first_page_status=[500])
    source = harvest_source_create(code="alma", base_url=provider.url, institution=partner)
    client = OaiClient(provider.url, limits=ClientLimits(retries=0))
    failed = harvest_run(source=source, client=client)
    assert failed.status == "failed" and failed.pages == 1 and failed.resumption_token == "fakeresumptiontoken"
    assert "HTTP 500" in failed.errors[-1]["message"]
    assert failed.import_job.status == "failed" and "HTTP 500" in failed.import_job.error
    first_page = Record.objects.filter(institution=partner).count()
    assert first_page == failed.new > 90
    source.refresh_from_db()
    assert source.harvested_until is None  # a failed run moves nothing forward

    resumed = harvest_run(source=source, resume=True)
    assert resumed.pk == failed.pk and resumed.status == "done" and resumed.pages == 3
    assert provider.requests[-2] == {"verb": "ListRecords", "resumptionToken": "fakeresumptiontoken"}
    stored = Record.objects.filter(institution=partner)
    assert stored.count() == resumed.new == first_page + 52 - resumed.rejected
    assert stored.values("control_key").distinct().count() == stored.count()
    assert HarvestedRecord.objects.filter(source=source).count() == stored.count()
    with pytest.raises(ValidationFailed, match="nothing to resume"):
        harvest_run(source=source, resume=True)


def slsp(shared_data, *names: str) -> str:
    return "".join((shared_data / "oai-pmh/slsp/records" / f"{n}.xml").read_text() for n in names)


def test_incremental_harvest_brings_changes_and_deletions(provider, shared_data):
    """SLSP's versions of the same records: v1, then (from the first run's responseDate) v2, then v3 and deletions.

    record_6 v1 and v2 are SLSP's broken records (a datafield tagged 082B): rejected by identifier, the run
    goes on; the repaired v3 comes in as new.
    """
    partner = institution_create(code="SLSP", name="Swiss Library Service Platform", kind="partner")
    state = {"date": "2024-04-03T00:00:00Z", "records": slsp(shared_data, "record_5_v1", "record_6_v1", "record_4_v1")}
    provider.answer = lambda p: Reply(identify(state["date"]) if p["verb"] == "Identify"
                                      else envelope(state["records"], response_date=state["date"]))
    source = harvest_source_create(code="slsp", base_url=provider.url, institution=partner, set_spec="slsp_mongodb")
    first = harvest_run(source=source)
    assert (first.status, first.new, first.rejected) == ("done", 2, 1), first.errors
    assert first.errors[0]["message"].startswith("oai:alma.41SLSP_NETWORK:991171026281605501: ")
    assert "from" not in provider.requests[-1] and provider.requests[-1]["set"] == "slsp_mongodb"
    record_4 = HarvestedRecord.objects.get(identifier="oai:alma.41SLSP_NETWORK:991171842027005501").record

    state.update(date="2024-05-03T00:00:00Z", records=slsp(shared_data, "record_5_v2", "record_6_v2", "record_4_v2"))
    second = harvest_run(source=source)
    assert provider.requests[-1]["from"] == "2024-04-03T00:00:00Z"  # the provider's clock at the first run
    assert (second.new, second.updated, second.rejected) == (0, 2, 1), second.errors
    record_4.refresh_from_db()
    assert record_4.version == 2 and record_4.versions.count() == 2 and b"Exemplarspezifische" not in record_4.marc

    state.update(date="2024-06-03T00:00:00Z", records=slsp(shared_data, "record_6_v3", "record_5_v3", "deleted_record"))
    third = harvest_run(source=source)
    assert provider.requests[-1]["from"] == "2024-05-03T00:00:00Z"
    assert (third.new, third.rejected, third.deleted, third.deletions_ignored) == (1, 0, 1, 1)  # 991000347589705501: never had it
    withdrawn = HarvestedRecord.objects.get(identifier="oai:alma.41SLSP_NETWORK:991171841354805501")
    assert withdrawn.deleted and withdrawn.record.deleted_at is not None
    assert withdrawn.record.versions.first().action == "delete"
    assert Record.objects.filter(institution=partner, deleted_at__isnull=True).count() == 2
    assert Record.objects.filter(institution=partner).count() == 3


def test_a_page_naming_a_record_twice_keeps_its_last_state(provider, shared_data):
    """SLSP's harvested chunk: one record changed then deleted, another three times, in a single page."""
    partner = institution_create(code="SLSP", name="SLSP", kind="partner")
    chunk = (shared_data / "oai-pmh/slsp/harvested_data/test/chunk_slsp_mongodb_00002.xml").read_bytes()
    provider.answer = lambda p: Reply(identify() if p["verb"] == "Identify" else chunk)
    source = harvest_source_create(code="slsp", base_url=provider.url, institution=partner)
    run = harvest_run(source=source)
    assert run.status == "done" and run.records == 7
    mapped = dict(HarvestedRecord.objects.filter(source=source).values_list("identifier", "deleted"))
    assert mapped["oai:alma.41SLSP_NETWORK:991171847533305501"] is True  # its last entry is a deletion
    assert Record.objects.filter(institution=partner).count() == run.new == 3
    assert run.deletions_ignored == 1


def test_bad_records_are_rejected_by_identifier_and_the_run_goes_on(provider, shared_data):
    """A record too big, a metadata element that is not MARC, and a good record in one page."""
    partner = institution_create(code="SLSP", name="SLSP", kind="partner")
    good = slsp(shared_data, "record_5_v1")
    dublin_core = slsp(shared_data, "record_4_v1").replace(
        "http://www.loc.gov/MARC21/slim", "http://www.openarchives.org/OAI/2.0/oai_dc/").replace(
        "991171842027005501</identifier>", "dc-1</identifier>")
    huge = slsp(shared_data, "record_6_v1").replace("</leader>", "</leader>" + "".join(
        f'<controlfield tag="00{i % 10}">{"x" * 5000}</controlfield>' for i in range(60)))
    provider.answer = lambda p: Reply(identify() if p["verb"] == "Identify" else envelope(good + dublin_core + huge))
    source = harvest_source_create(code="slsp", base_url=provider.url, institution=partner)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(__import__("django.conf").conf.settings.KITABKHANA, "HARVEST_MAX_RECORD_BYTES", 100_000)
        run = harvest_run(source=source)
    reasons = list(run.import_job.rejections.values_list("reason", flat=True))
    assert (run.status, run.new, run.rejected) == ("done", 1, 2), reasons
    reasons = list(run.import_job.rejections.values_list("reason", flat=True))
    assert any(r.startswith("oai:alma.41SLSP_NETWORK:991171026281605501") and "over the limit" in r for r in reasons), reasons
    assert any(r.startswith("oai:alma.41SLSP_NETWORK:dc-1:") and "not a MARCXML record" in r for r in reasons), reasons
    assert len(run.errors) == 2 and all(":" in e["message"] for e in run.errors)


def test_wrong_namespace_fails_the_run_with_the_reason_in_its_log(provider, shared_data):
    partner = institution_create(code="X", name="X", kind="partner")
    no_namespace = (shared_data / "oai-pmh/traject/sample-oai-no-namespace.xml").read_bytes()
    provider.answer = lambda p: Reply(identify() if p["verb"] == "Identify" else no_namespace)
    source = harvest_source_create(code="traject", base_url=provider.url, institution=partner)
    run = harvest_run(source=source)
    assert run.status == "failed" and run.pages == 0
    assert "not an OAI-PMH 2.0 response" in run.errors[-1]["message"]
    assert Record.objects.count() == 0


def test_oai_dc_and_bad_sources_are_refused():
    partner = institution_create(code="X", name="X", kind="partner")
    with pytest.raises(ValidationFailed, match="oai_dc is Dublin Core"):
        harvest_source_create(code="dc", base_url="https://example.org/oai", institution=partner,
                              metadata_prefix="oai_dc")
    with pytest.raises(ValidationFailed, match="expected an http"):
        harvest_source_create(code="ftp", base_url="ftp://example.org/oai", institution=partner)
    harvest_source_create(code="ok", base_url="https://example.org/oai", institution=partner)
    with pytest.raises(ValidationFailed, match="already exists"):
        harvest_source_create(code="ok", base_url="https://example.org/oai", institution=partner)


def test_a_source_already_running_is_not_harvested_twice(provider, shared_data):
    partner = institution_create(code="X", name="X", kind="partner")
    source = harvest_source_create(code="x", base_url=provider.url, institution=partner)
    HarvestRun.objects.create(source=source)
    with pytest.raises(ValidationFailed, match="already being harvested"):
        harvest_run(source=source)
    assert provider.requests == []


def test_pyoai_recording_of_dublin_core_is_rejected_record_by_record(provider, shared_data):
    """pyoai's recorded DSpace server (mapping.txt: query → file) answers Dublin Core whatever is asked:
    every record is rejected by identifier as not MARCXML, and the run itself completes."""
    folder = shared_data / "oai-pmh/pyoai/fake1"
    lines = (folder / "mapping.txt").read_text().split()
    mapping = {}
    for query, name in zip(lines[::2], lines[1::2], strict=True):
        params = dict(p.split("=", 1) for p in query.split("&"))
        mapping[(params["verb"], params.get("from", "").replace("%3A", ":"))] = folder / name
    provider.answer = lambda p: Reply(mapping[(p["verb"], p.get("from", ""))].read_bytes())
    partner = institution_create(code="NL-EUR", name="Erasmus University Rotterdam", kind="partner")
    source = harvest_source_create(code="eur", base_url=provider.url, institution=partner)
    run = harvest_run(source=source, from_="2003-04-10T00:00:00Z")
    assert provider.requests[-1] == {"verb": "ListRecords", "metadataPrefix": "marc21", "from": "2003-04-10T00:00:00Z"}
    assert (run.status, run.records, run.new, run.rejected) == ("done", 16, 0, 16)
    reasons = list(run.import_job.rejections.values_list("reason", flat=True))
    assert all(r.startswith("hdl:1765/") and "oai_dc/}dc>, not a MARCXML record" in r for r in reasons), reasons[:2]
    assert not Record.objects.exists()


def test_a_record_without_001_or_isbn_stays_one_record_across_harvests(provider, shared_data):
    """SLSP record 4 without its 001 (and it has no ISBN): the catalogue cannot match v2 to v1, so v2 is a new
    record; the OAI identifier moves to it and v1 is withdrawn: one provider record, one live catalogue record."""
    import re

    partner = institution_create(code="SLSP", name="SLSP", kind="partner")
    state = {}
    provider.answer = lambda p: Reply(identify() if p["verb"] == "Identify" else envelope(state["records"]))
    source = harvest_source_create(code="slsp", base_url=provider.url, institution=partner)
    for version in ("record_4_v1", "record_4_v2"):
        state["records"] = re.sub(r'<controlfield tag="001">[^<]*</controlfield>', "", slsp(shared_data, version))
        assert harvest_run(source=source, from_="2000-01-01").status == "done"
    mapping = HarvestedRecord.objects.get(source=source)
    live = Record.objects.filter(institution=partner, deleted_at__isnull=True)
    assert list(live.values_list("pk", flat=True)) == [mapping.record_id]
    assert b"Exemplarspezifische" not in mapping.record.marc  # v2
    replaced = Record.objects.get(institution=partner, deleted_at__isnull=False)
    assert replaced.versions.first().note.startswith(f"replaced by record {mapping.record_id}")


def test_nothing_changed_is_a_successful_empty_run(provider, shared_data):
    """sickle's recorded noRecordsMatch: the incremental run is done, stores nothing, and moves the date on."""
    partner = institution_create(code="X", name="X", kind="partner")
    empty = (shared_data / "oai-pmh/sickle/noRecordsMatch.xml").read_bytes()
    provider.answer = lambda p: Reply(identify("2026-02-02T00:00:00Z") if p["verb"] == "Identify" else empty)
    source = harvest_source_create(code="x", base_url=provider.url, institution=partner)
    run = harvest_run(source=source, from_="2026-01-01")
    assert (run.status, run.pages, run.records, run.errors) == ("done", 1, 0, [])
    source.refresh_from_db()
    assert source.harvested_until.isoformat() == "2026-02-02T00:00:00+00:00"


def test_resuming_at_an_expired_token_fails_with_advice(provider, shared_data):
    """vufindharvest's recorded badResumptionToken answer to a resume: the run fails and says what to do."""
    partner = institution_create(code="DE-ALMA", name="Partner", kind="partner")
    provider.answer = replay(shared_data, first_page_status=[500])
    source = harvest_source_create(code="alma", base_url=provider.url, institution=partner)
    failed = harvest_run(source=source, client=OaiClient(provider.url, limits=ClientLimits(retries=0)))
    expired = (shared_data / "oai-pmh/vufindharvest/token_error_response.xml").read_bytes()
    provider.answer = lambda p: Reply(expired)
    again = harvest_run(source=source, resume=True)
    assert again.pk == failed.pk and again.status == "failed"
    assert "badResumptionToken" in again.errors[-1]["message"] and "without --resume" in again.errors[-1]["message"]
    assert again.resumption_token == "fakeresumptiontoken"  # kept: nothing after it was stored

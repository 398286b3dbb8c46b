"""The MARC import pipeline: counts, matching, resume after interruption, rejections, character sets."""

from __future__ import annotations

import io
import json

import pymarc
import pytest
from django.core.management import call_command

from kitabkhana.accounts.services import institution_create, institution_default
from kitabkhana.catalogue.models import ImportJob, Record, RecordVersion
from kitabkhana.catalogue.search.base import SearchRequest
from kitabkhana.catalogue.services.importing import marc_file_import
from kitabkhana.catalogue.services.indexing import search_backend
from kitabkhana.marc.writer import iso2709_to_record, to_iso2709

pytestmark = pytest.mark.django_db


def test_import_stores_every_record_and_indexes_it(demo_dir):
    """All 30 traject records go in as MARC 21 and are searchable at once; nothing is left pending."""
    job = marc_file_import(path=demo_dir / "traject-test_data.utf8.mrc")
    assert job.status == ImportJob.Status.DONE
    assert job.counts() == {"read": 30, "created": 30, "updated": 0, "skipped": 0, "rejected": 0}
    assert Record.objects.count() == 30
    assert not Record.objects.filter(needs_index=True).exists()
    assert search_backend().count() == 30
    assert RecordVersion.objects.filter(version=1, action="import").count() == 30


def test_reimport_never_duplicates(demo_dir):
    """A second import of the same file matches every record (001+003) and skips it."""
    marc_file_import(path=demo_dir / "trln-marc-to-argot-880-fixtures.mrc")
    again = marc_file_import(path=demo_dir / "trln-marc-to-argot-880-fixtures.mrc")
    assert again.created == 0
    assert again.skipped == again.read == 19
    assert Record.objects.count() == 19


def _edited_copy(src, tmp_path, new_title: str):
    """The same records with the first record's 245 $a changed and a local 999 added to the stored one."""
    records = list(pymarc.MARCReader(src.read_bytes(), to_unicode=True, force_utf8=True))
    records[0]["245"]["a"] = new_title
    out = tmp_path / "edited.mrc"
    out.write_bytes(b"".join(to_iso2709(r) for r in records))
    return out, records[0]


def test_replace_makes_a_new_version_only_for_changed_records(demo_dir, tmp_path):
    """--match replace updates the changed record (version 2) and leaves unchanged ones at version 1."""
    src = demo_dir / "traject-test_data.utf8.mrc"
    marc_file_import(path=src)
    edited, first = _edited_copy(src, tmp_path, "A corrected title")
    job = marc_file_import(path=edited, match="replace")
    assert (job.updated, job.skipped, job.created) == (1, 29, 0)
    record = Record.objects.get(control_key__endswith="|" + first["001"].data.strip())
    assert record.version == 2
    assert iso2709_to_record(bytes(record.marc))["245"]["a"] == "A corrected title"
    assert list(record.versions.values_list("version", flat=True)) == [2, 1]


def test_merge_keeps_local_fields_and_takes_incoming_title(demo_dir, tmp_path):
    """--match merge: the incoming 245 wins, a local 999 only in the stored record survives."""
    src = demo_dir / "traject-test_data.utf8.mrc"
    marc_file_import(path=src)
    record = Record.objects.order_by("pk").first()
    stored = iso2709_to_record(bytes(record.marc))
    stored.add_ordered_field(pymarc.Field(tag="999", indicators=[" ", " "],
                                          subfields=[pymarc.Subfield("a", "local shelf note")]))
    from kitabkhana.catalogue.services.records import record_update

    record_update(record=record, marc_record=stored, expected_version=1)
    edited, _ = _edited_copy(src, tmp_path, "Merged title")
    marc_file_import(path=edited, match="merge")
    merged = iso2709_to_record(bytes(Record.objects.get(pk=record.pk).marc))
    assert merged["245"]["a"] == "Merged title"
    assert merged["999"]["a"] == "local shelf note"


def test_interrupted_import_resumes_without_duplicates(demo_dir):
    """Ctrl-C after the first committed batch keeps that batch; the re-run adds exactly the rest."""
    src = demo_dir / "aco-auc-cairo-150.mrc"

    def interrupt(job, _bytes):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        marc_file_import(path=src, batch_size=40, progress=interrupt)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.INTERRUPTED
    assert job.read == 40 and job.next_number == 41
    assert Record.objects.count() == job.created
    resumed = marc_file_import(path=src, batch_size=40)
    assert resumed.pk == job.pk and resumed.status == ImportJob.Status.DONE
    assert resumed.read == 150
    assert Record.objects.count() == resumed.created
    assert resumed.created + resumed.skipped + resumed.rejected == 150


def test_rusmarc_windows_1251_is_stored_as_utf8(demo_dir):
    """The NLR RUSMARC file (100$a/26-29 '0189', Windows-1251) is read as UNIMARC with Cyrillic titles."""
    job = marc_file_import(path=demo_dir / "rusmarc-nlr-cp1251.iso")
    assert job.created == 65 and job.rejected == 0
    record = Record.objects.filter(flavour="unimarc").first()
    assert any("\u0400" <= ch <= "\u04ff" for ch in record.title), record.title
    stored = iso2709_to_record(bytes(record.marc))
    assert stored["100"]["a"][26:30] == "50  "


def test_matching_is_scoped_to_the_importing_institution(demo_dir):
    """Another institution importing the same file gets its own records; the first one's stay untouched."""
    marc_file_import(path=demo_dir / "trln-marc-to-argot-880-fixtures.mrc")
    other = institution_create(code="IR-ISF", name="Isfahan", kind="provincial", country="IR")
    job = marc_file_import(path=demo_dir / "trln-marc-to-argot-880-fixtures.mrc", institution=other, match="replace")
    assert job.created == 19
    assert Record.objects.filter(institution=institution_default()).count() == 19


def test_empty_file_fails_with_a_message(tmp_path):
    """An empty file is not an import: the job fails and says why, naming the file."""
    empty = tmp_path / "empty.mrc"
    empty.write_bytes(b"")
    job = marc_file_import(path=empty)
    assert job.status == ImportJob.Status.FAILED
    assert "empty.mrc" in job.error and "empty" in job.error.lower()
    assert Record.objects.count() == 0


def test_xml_entity_attack_is_refused(tmp_path):
    """A billion-laughs MARCXML file is refused before anything is stored."""
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        '<collection xmlns="http://www.loc.gov/MARC21/slim"><record><leader>00000nam a2200000 a 4500</leader>'
        '<datafield tag="245" ind1="0" ind2="0"><subfield code="a">&lol2;</subfield></datafield></record></collection>'
    )
    job = marc_file_import(path=bomb)
    assert job.status == ImportJob.Status.FAILED
    assert "entit" in job.error.lower()
    assert Record.objects.count() == 0


@pytest.mark.shared_data
def test_malformed_file_rejects_bad_records_and_keeps_good_ones(shared_data):
    """marc4j's bad_hathi_records.mrc: bad records are reported with number and offset, good ones stored."""
    path = shared_data / "malformed/marc4j/bad_hathi_records.mrc"
    job = marc_file_import(path=path)
    assert job.status == ImportJob.Status.DONE
    assert job.read == job.created + job.rejected + job.skipped
    assert Record.objects.count() == job.created
    for rejection in job.rejections.all():
        assert rejection.record_number >= 1 and rejection.offset is not None and rejection.reason
    report = (job.report_path and open(job.report_path, encoding="utf-8").read().splitlines()) or []
    assert report[0] == "file\trecord\toffset\tfield\treason"
    assert len(report) == job.rejected + 1


@pytest.mark.shared_data
def test_truncated_file_keeps_complete_records(shared_data):
    """A file cut at 64 KiB: the complete records go in, the cut one is rejected as truncated."""
    job = marc_file_import(path=shared_data / "malformed/marc4j/008008027-truncated-at-64KiB.mrc")
    assert job.rejected >= 1
    assert any("truncat" in r.reason.lower() for r in job.rejections.all())
    assert Record.objects.count() == job.created


@pytest.mark.shared_data
def test_utf8_without_leader_flag_is_detected(shared_data):
    """pymarc's utf8_without_leader_flag.dat: the accents survive because the bytes are checked."""
    marc_file_import(path=shared_data / "encoding/pymarc/utf8_without_leader_flag.dat")
    stored = iso2709_to_record(bytes(Record.objects.get().marc))
    import unicodedata

    assert unicodedata.normalize("NFC", stored["240"]["a"]) == unicodedata.normalize(
        "NFC", "De la solitude a\u0300 la communaute\u0301."
    )


def test_command_prints_json_counts(demo_dir):
    """`import-marc --json` ends with one JSON line of counts."""
    out = io.StringIO()
    call_command("import-marc", str(demo_dir / "traject-test_data.utf8.mrc"), "--json", stdout=out, stderr=io.StringIO())
    counts = json.loads(out.getvalue().strip().splitlines()[-1])
    assert {k: counts[k] for k in ("read", "created", "updated", "skipped", "rejected")} == {
        "read": 30, "created": 30, "updated": 0, "skipped": 0, "rejected": 0,
    }


def test_search_finds_persian_typed_with_other_letter_forms(demo_dir):
    """LC's 880 spells سخنورى with Arabic alef maksura; a reader types Persian yeh, or Arabic yeh; all find it."""
    marc_file_import(path=demo_dir / "lc-convspec-880-fixtures.xml")
    persian = Record.objects.get(control_key__endswith="|21508109")
    assert "سخنورى" in persian.title_original
    for typed in ("سخنوری", "سخنوري", "سُخَنوری"):
        hits = search_backend().search(SearchRequest(q=typed)).hits
        assert [h.record_id for h in hits] == [persian.pk], typed


@pytest.mark.shared_data
def test_every_malformed_peer_file_imports_without_harm(shared_data, demo_dir):
    """Each bad file in ../shared/data/malformed: good records in, bad ones reported, nothing stored lost.

    The TRLN records imported first must come out byte-identical however the bad files fail, and every
    stored record must parse again (nothing corrupt is stored).
    """
    marc_file_import(path=demo_dir / "trln-marc-to-argot-880-fixtures.mrc")
    before = {r.pk: bytes(r.marc) for r in Record.objects.all()}
    bad_files = sorted(p for p in (shared_data / "malformed").rglob("*")
                       if p.suffix in (".mrc", ".dat", ".xml", ".usmarc") and "expected" not in p.name)
    assert len(bad_files) >= 30
    for path in bad_files:
        job = marc_file_import(path=path)
        assert job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED), path
        if job.status == ImportJob.Status.FAILED:
            assert path.name in job.error, (path, job.error)
        assert job.read == job.created + job.updated + job.skipped + job.rejected, path
        for rejection in job.rejections.all():
            assert rejection.reason and rejection.record_number >= 1, path
    assert {pk: bytes(m) for pk, m in Record.objects.filter(pk__in=before).values_list("pk", "marc")} == before
    for marc in Record.objects.values_list("marc", flat=True):
        record = iso2709_to_record(bytes(marc))
        assert record.leader and record.fields


def test_nul_byte_in_a_subfield_does_not_stop_the_import(tmp_path):
    """PostgreSQL text refuses NUL: the derived columns drop it, the MARC keeps the record as sent."""
    record = pymarc.Record(force_utf8=True)
    record.add_field(pymarc.Field(tag="001", data="nul-1"))
    record.add_field(pymarc.Field(tag="245", indicators=["0", "0"], subfields=[pymarc.Subfield("a", "Bad\x00title")]))
    path = tmp_path / "nul.mrc"
    path.write_bytes(to_iso2709(record))
    job = marc_file_import(path=path)
    assert job.status == ImportJob.Status.DONE and job.created == 1
    stored = Record.objects.get()
    assert stored.title == "Badtitle"
    assert iso2709_to_record(bytes(stored.marc))["245"]["a"] == "Bad\x00title"


def _book(control: str | None, isbn: str, title: str) -> pymarc.Record:
    record = pymarc.Record(force_utf8=True)
    if control:
        record.add_field(pymarc.Field(tag="001", data=control))
        record.add_field(pymarc.Field(tag="003", data="XX-SRC"))
    record.add_field(pymarc.Field(tag="020", indicators=[" ", " "], subfields=[pymarc.Subfield("a", isbn)]))
    record.add_field(pymarc.Field(tag="245", indicators=["0", "0"], subfields=[pymarc.Subfield("a", title)]))
    return record


@pytest.mark.parametrize("batch_size", [2, 1000])
def test_isbn_matching_never_merges_distinct_records_of_one_source(tmp_path, batch_size):
    """Volumes of a set share an ISBN but not a 001: each is its own record, whatever the batch size.

    A record without a control number is matched by its ISBN (to a stored or an earlier record).
    """
    volumes = [_book(f"vol-{n}", "9786226942058", f"Volume {n}") for n in range(1, 6)]
    path = tmp_path / "set.mrc"
    path.write_bytes(b"".join(to_iso2709(r) for r in volumes))
    job = marc_file_import(path=path, batch_size=batch_size, match="replace")
    assert (job.created, job.updated) == (5, 0)
    anonymous = tmp_path / "anon.mrc"
    anonymous.write_bytes(to_iso2709(_book(None, "978-6-226-94205-8", "Same set, no 001"))
                          + to_iso2709(_book(None, "9786226942058", "Again")))
    again = marc_file_import(path=anonymous, batch_size=batch_size)
    assert (again.created, again.skipped) == (0, 2)
    assert Record.objects.count() == 5


def test_an_emptied_index_is_rebuilt_before_the_next_import_and_when_the_server_starts(
    demo_dir, django_capture_on_commit_callbacks
):
    """An index replaced by an empty one (schema or engine upgrade) is refilled from the database."""
    from kitabkhana.core.signals import serving_started

    marc_file_import(path=demo_dir / "traject-test_data.utf8.mrc")
    search_backend().clear()
    marc_file_import(path=demo_dir / "trln-marc-to-argot-880-fixtures.mrc")
    assert Record.objects.count() == 49
    # One entry per record on its own and one per union-catalogue cluster (duplicates show once).
    entries = (Record.objects.filter(cluster__isnull=True).count()
               + Record.objects.filter(cluster__isnull=False).values("cluster").distinct().count())
    assert search_backend().count() == entries
    search_backend().clear()
    with django_capture_on_commit_callbacks(execute=True):  # the tests' inline task backend runs it then
        serving_started.send(sender=None)
    assert search_backend().count() == entries

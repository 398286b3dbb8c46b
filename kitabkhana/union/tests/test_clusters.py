"""Clusters as records arrive (the records_stored receiver), staff split/merge kept across re-imports,
the merged display, and `kitabkhana clusters --json / --rebuild`."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from kitabkhana.accounts.models import Institution
from kitabkhana.catalogue.models import Cluster, Record
from kitabkhana.catalogue.services.records import record_create, record_delete
from kitabkhana.union.models import ClusterDecision, ClusterEvent, MatchKey
from kitabkhana.union.selectors import cluster_display, cluster_institutions, cluster_members
from kitabkhana.union.services import cluster_merge, cluster_split, records_merge
from kitabkhana.union.tests.records import book, persian_native, persian_romanised

pytestmark = pytest.mark.django_db


@pytest.fixture
def national():
    return Institution.objects.create(code="IrTeNL", name="National Library", kind="national")


@pytest.fixture
def partner():
    return Institution.objects.create(code="NNU", name="Partner", kind="partner")


def _fresh(record: Record) -> Record:
    return Record.objects.get(pk=record.pk)


def test_a_persian_record_and_its_romanised_partner_form_one_cluster(national, partner):
    native = record_create(marc_record=persian_native(), flavour="marc21", institution=national)
    assert _fresh(native).cluster_id is None  # a singleton needs no cluster row
    assert MatchKey.objects.filter(record=native).exists()
    roman = record_create(marc_record=persian_romanised(), flavour="marc21", institution=partner)
    cluster_id = _fresh(native).cluster_id
    assert cluster_id is not None and _fresh(roman).cluster_id == cluster_id
    assert [r.pk for r in cluster_members(cluster_id)] == [native.pk, roman.pk]
    assert [i.code for i in cluster_institutions(cluster_id)] == ["IrTeNL", "NNU"]
    display = cluster_display(cluster_id)
    assert display.member_ids == [native.pk, roman.pk]
    assert display.institution_codes == ["IrTeNL", "NNU"]
    # Sources stay intact: each member's MARC is what was stored.
    assert b"Tarikh" not in bytes(_fresh(native).marc)


def test_same_title_different_year_stays_apart(national, partner):
    a = record_create(marc_record=book(control="1", title="Divan-i Hafiz", author="Hafiz", year=1990), flavour="marc21",
                      institution=national)
    b = record_create(marc_record=book(control="2", title="Divan-i Hafiz", author="Hafiz", year=2005), flavour="marc21",
                      institution=partner)
    assert _fresh(a).cluster_id is None and _fresh(b).cluster_id is None


def test_a_record_matching_two_clusters_merges_them(national, partner):
    third = Institution.objects.create(code="THIRD", name="Third", kind="provincial")
    base = dict(title="Kitab al-aghani", author="Isfahani, Abu al-Faraj", year=2008, pages="300 p.")
    a = record_create(marc_record=book(control="a", isbn="9789642281107", **base), flavour="marc21", institution=national)
    b = record_create(marc_record=book(control="b", isbn="9789642281107", **base), flavour="marc21", institution=partner)
    c = record_create(marc_record=book(control="c", isbn="9789643809461", **base), flavour="marc21", institution=third)
    d = record_create(marc_record=book(control="d", isbn="9789643809461", **base), flavour="marc21", institution=third)
    # Different ISBNs veto: two clusters.
    assert _fresh(a).cluster_id == _fresh(b).cluster_id != _fresh(c).cluster_id == _fresh(d).cluster_id
    bridge = record_create(marc_record=book(control="e", **base), flavour="marc21", institution=partner)
    ids = {_fresh(r).cluster_id for r in (a, b, c, d, bridge)}
    assert len(ids) == 1 and Cluster.objects.count() == 1
    assert ClusterEvent.objects.filter(action="merge").exists()


def test_split_is_kept_when_the_record_is_imported_again(national, partner):
    native = record_create(marc_record=persian_native(), flavour="marc21", institution=national)
    roman = record_create(marc_record=persian_romanised(), flavour="marc21", institution=partner)
    cluster_id = _fresh(native).cluster_id
    cluster_split(cluster_id=cluster_id, record_ids=[roman.pk], note="different printings")
    assert _fresh(native).cluster_id is None and _fresh(roman).cluster_id is None
    assert not Cluster.objects.filter(pk=cluster_id).exists()
    decision = ClusterDecision.objects.get()
    assert decision.kind == "apart" and {decision.left_key, decision.right_key} == {"IrTeNL|IrTeNL|1001", "NNU|NNU|ocm1"}
    # The partner deletes and re-creates the same record (same 003/001): matching must not undo the split.
    record_delete(record=_fresh(roman), expected_version=_fresh(roman).version, user=None)
    again = record_create(marc_record=persian_romanised(), flavour="marc21", institution=partner)
    assert _fresh(again).cluster_id is None and _fresh(native).cluster_id is None
    # A third copy from elsewhere still joins one of them, never both.
    other = Institution.objects.create(code="X", name="X", kind="partner")
    third = record_create(marc_record=persian_romanised(control="x1"), flavour="marc21", institution=other)
    third_cluster = _fresh(third).cluster_id
    assert third_cluster is not None
    assert {_fresh(native).cluster_id, _fresh(again).cluster_id} & {third_cluster}
    assert _fresh(native).cluster_id != _fresh(again).cluster_id


def test_staff_merge_is_kept_together_after_reimport(national, partner):
    a = record_create(marc_record=book(control="1", title="Masnavi", author="Rumi", year=1990), flavour="marc21",
                      institution=national)
    b = record_create(marc_record=book(control="2", title="Mathnawi-i maʻnawi", author="Jalal al-Din Rumi"),
                      flavour="marc21", institution=partner)
    assert _fresh(a).cluster_id is None
    kept = records_merge(record_id=a.pk, other_record_id=b.pk, note="same book, title in another form")
    assert _fresh(a).cluster_id == _fresh(b).cluster_id == kept
    record_delete(record=_fresh(b), expected_version=_fresh(b).version, user=None)
    assert _fresh(a).cluster_id is None  # a cluster of one is dissolved
    again = record_create(marc_record=book(control="2", title="Mathnawi-i maʻnawi", author="Jalal al-Din Rumi"),
                          flavour="marc21", institution=partner)
    assert _fresh(again).cluster_id is not None and _fresh(again).cluster_id == _fresh(a).cluster_id


def test_merge_two_clusters_and_list_them(national, partner):
    a = record_create(marc_record=persian_native(), flavour="marc21", institution=national)
    record_create(marc_record=persian_romanised(), flavour="marc21", institution=partner)
    c = record_create(marc_record=book(control="9", agency="NNU", title="Gulistan", author="Saʻdi", year=1950),
                      flavour="marc21", institution=partner)
    d = record_create(marc_record=book(control="10", title="Gulistan", author="Sadi", year=1950), flavour="marc21",
                      institution=national)
    first, second = _fresh(a).cluster_id, _fresh(c).cluster_id
    assert second == _fresh(d).cluster_id and first != second
    kept = cluster_merge(cluster_id=second, other_id=first, note="test")
    assert kept == min(first, second)
    out = io.StringIO()
    call_command("clusters", "--json", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines == [{"cluster": kept, "members": ["IrTeNL:1001", "NNU:ocm1", "NNU:9", "IrTeNL:10"]}]


def test_rebuild_reproduces_matching_and_respects_decisions(national, partner):
    native = record_create(marc_record=persian_native(), flavour="marc21", institution=national)
    roman = record_create(marc_record=persian_romanised(), flavour="marc21", institution=partner)
    g1 = record_create(marc_record=book(control="9", title="Gulistan", author="Sadi", year=1950), flavour="marc21",
                       institution=partner)
    g2 = record_create(marc_record=book(control="10", title="Gulistan", author="Sadi", year=1950), flavour="marc21",
                       institution=national)
    cluster_split(cluster_id=_fresh(g1).cluster_id, record_ids=[g2.pk], note="not the same")
    # Wipe membership, then rebuild from the stored keys alone.
    Record.objects.update(cluster=None)
    Cluster.objects.all().delete()
    err = io.StringIO()
    call_command("clusters", "--rebuild", "--no-index", stderr=err)
    assert "2 records changed" in err.getvalue()
    assert _fresh(native).cluster_id == _fresh(roman).cluster_id is not None
    assert _fresh(g1).cluster_id is None and _fresh(g2).cluster_id is None


def test_duplicates_within_one_imported_file_are_clustered_in_the_same_batch(national, tmp_path):
    """Matching runs per import batch: records of the same batch find each other (blocking keys are
    stored for the whole batch before any record is matched)."""
    from kitabkhana.catalogue.services.importing import marc_file_import
    from kitabkhana.marc.writer import to_iso2709

    path = tmp_path / "two.mrc"
    other = book(control="77", agency="IrTeNL", title="Gulistan", author="Sadi", year=1950)
    path.write_bytes(to_iso2709(persian_native("5001")) + to_iso2709(persian_romanised("5002")) + to_iso2709(other))
    job = marc_file_import(path=path, institution=national)
    assert job.created == 3
    clusters = {r.control_key: r.cluster_id for r in Record.objects.all()}
    assert clusters["IrTeNL|5001"] == clusters["NNU|5002"] is not None
    assert clusters["IrTeNL|77"] is None


def test_cluster_display_takes_the_fullest_member_and_unites_identifiers(national, partner):
    brief = record_create(marc_record=book(control="b1", title="Gulistan", year=1950, isbn="9789642281107"),
                          flavour="marc21", institution=national)
    full = record_create(marc_record=book(control="f1", title="Gulistan", subtitle="bi-tashih-i Furughi",
                                          author="Sadi", year=1950, pages="320 p.", publisher="Iqbal",
                                          edition="Chap-i 2"),
                         flavour="marc21", institution=partner)
    cluster_id = _fresh(brief).cluster_id
    assert cluster_id and _fresh(full).cluster_id == cluster_id
    display = cluster_display(cluster_id)
    assert display.base_record_id == full.pk  # the fuller description is the base ...
    assert display.summary.isbns == ["9789642281107"]  # ... and the brief record's ISBN is added to it
    assert display.summary.authors == ["Sadi"]


def test_a_bulk_load_without_matching_is_clustered_by_the_rebuild(settings, national, partner):
    """KITABKHANA_UNION_MATCHING=0 for a bulk load, then `clusters --rebuild` does the matching in batch."""
    from config.env import read_environment

    assert read_environment({"KITABKHANA_UNION_MATCHING": "0"}).union_matching is False
    assert read_environment({}).union_matching is True
    settings.KITABKHANA = {**settings.KITABKHANA, "UNION_MATCHING": False}
    native = record_create(marc_record=persian_native(), flavour="marc21", institution=national)
    romanised = record_create(marc_record=persian_romanised(), flavour="marc21", institution=partner)
    assert _fresh(native).cluster_id is None and _fresh(romanised).cluster_id is None

    settings.KITABKHANA = {**settings.KITABKHANA, "UNION_MATCHING": True}
    call_command("clusters", "--rebuild", stdout=io.StringIO())
    assert _fresh(native).cluster_id is not None and _fresh(native).cluster_id == _fresh(romanised).cluster_id

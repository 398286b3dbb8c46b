"""Editing records: versions, optimistic locking, restore, diff, holdings."""

from __future__ import annotations

import pymarc
import pytest

from kitabkhana.accounts.services import institution_default
from kitabkhana.catalogue.models import Record
from kitabkhana.catalogue.selectors import record_version_diff
from kitabkhana.catalogue.services.importing import marc_file_import
from kitabkhana.catalogue.services.records import holding_create, record_create, record_restore, record_update
from kitabkhana.core.errors import ConcurrentEdit, ValidationFailed
from kitabkhana.marc.writer import iso2709_to_record

pytestmark = pytest.mark.django_db


def _first(demo_dir) -> Record:
    marc_file_import(path=demo_dir / "traject-test_data.utf8.mrc")
    return Record.objects.order_by("pk").first()


def test_two_editors_of_one_version_do_not_overwrite_each_other(demo_dir):
    """Both load version 1; the first save wins, the second is refused with ConcurrentEdit."""
    record = _first(demo_dir)
    alice = iso2709_to_record(bytes(record.marc))
    bob = iso2709_to_record(bytes(record.marc))
    alice["245"]["a"] = "Alice's title"
    bob["245"]["a"] = "Bob's title"
    record_update(record=record, marc_record=alice, expected_version=1)
    with pytest.raises(ConcurrentEdit) as caught:
        record_update(record=Record.objects.get(pk=record.pk), marc_record=bob, expected_version=1)
    assert caught.value.current_version == 2
    assert iso2709_to_record(bytes(Record.objects.get(pk=record.pk).marc))["245"]["a"] == "Alice's title"


def test_restore_brings_back_an_old_version_as_a_new_one(demo_dir):
    """Restoring version 1 after an edit gives version 3 equal to version 1; history keeps all three."""
    record = _first(demo_dir)
    original = bytes(record.marc)
    edited = iso2709_to_record(original)
    edited["245"]["a"] = "Changed"
    record_update(record=record, marc_record=edited, expected_version=1)
    restored = record_restore(record=record, version=1, expected_version=2)
    assert restored.version == 3
    assert bytes(restored.marc) == original
    assert list(restored.versions.values_list("action", flat=True)) == ["restore", "update", "import"]


def test_diff_names_the_changed_field(demo_dir):
    """The history diff of an edit says 245 changed, with before and after."""
    record = _first(demo_dir)
    edited = iso2709_to_record(bytes(record.marc))
    before = edited["245"]["a"]
    edited["245"]["a"] = "New title"
    record_update(record=record, marc_record=edited, expected_version=1)
    changes = record_version_diff(record, 2)
    assert [(c.op, c.tag) for c in changes] == [("changed", "245")]
    assert before in changes[0].before and "New title" in changes[0].after


def test_create_rejects_an_unstorable_record():
    """A field longer than ISO 2709 allows is refused with a message naming the field."""
    record = pymarc.Record(force_utf8=True)
    record.add_field(pymarc.Field(tag="245", indicators=["0", "0"], subfields=[pymarc.Subfield("a", "x" * 10000)]))
    with pytest.raises(ValidationFailed, match="245"):
        record_create(marc_record=record, flavour="marc21")
    assert Record.objects.count() == 0


def test_holding_barcodes_are_unique_per_institution(demo_dir):
    """A barcode can be used once per institution; the second use is refused with a message."""
    record = _first(demo_dir)
    nl = institution_default()
    holding_create(record=record, institution=nl, call_number="PK 6561 .H3", barcode="NL0001")
    with pytest.raises(ValidationFailed, match="NL0001"):
        holding_create(record=record, institution=nl, barcode="NL0001")
    assert record.holdings.count() == 1

"""Creating, editing, restoring and deleting single records, and their holdings."""

from __future__ import annotations

from functools import partial

import pymarc
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kitabkhana.accounts.models import Institution
from kitabkhana.accounts.services import institution_default
from kitabkhana.catalogue.models import Holding, Record, RecordIdentifier, RecordVersion
from kitabkhana.catalogue.services.indexing import index_after_commit
from kitabkhana.catalogue.services.preparing import PreparedRecord, record_prepare
from kitabkhana.catalogue.signals import records_stored_send
from kitabkhana.core.errors import ConcurrentEdit, NotFound, ValidationFailed
from kitabkhana.marc.errors import RecordError
from kitabkhana.marc.writer import iso2709_to_record


def _prepare(marc_record: pymarc.Record, flavour: str) -> PreparedRecord:
    try:
        return record_prepare(marc_record, flavour=flavour)
    except RecordError as exc:
        raise ValidationFailed(str(exc)) from exc


def _identifiers(record_id: int, prepared: PreparedRecord) -> list[RecordIdentifier]:
    return [RecordIdentifier(record_id=record_id, scheme=s, value=v) for s, v in prepared.identifiers]


@transaction.atomic
def record_create(
    *, marc_record: pymarc.Record, flavour: str, institution: Institution | None = None, user=None, note: str = ""
) -> Record:
    institution = institution or institution_default()
    prepared = _prepare(marc_record, flavour)
    record = Record.objects.create(institution=institution, **prepared.columns())
    RecordVersion.objects.create(
        record=record, version=1, marc=prepared.marc, action=RecordVersion.Action.CREATE,
        institution=institution, changed_by=user, note=note[:255],
    )
    RecordIdentifier.objects.bulk_create(_identifiers(record.pk, prepared))
    _stored(record)
    return record


def _stored(record: Record) -> None:
    """Tell the union catalogue (inside this transaction), then index this record and what that changed."""
    also = records_stored_send(sender=record_create, record_ids=[record.pk], institution_id=record.institution_id)
    transaction.on_commit(partial(index_after_commit, [record.pk, *sorted(also)]))


def _write_version(
    *, record: Record, marc_record: pymarc.Record, expected_version: int, user, institution: Institution | None,
    action: str, note: str,
) -> Record:
    prepared = _prepare(marc_record, record.flavour)
    columns = prepared.columns()
    columns.pop("flavour")
    # The WHERE on version is the optimistic lock: of two editors of version N, the second matches no row.
    changed = Record.objects.filter(pk=record.pk, version=expected_version, deleted_at__isnull=True).update(
        version=F("version") + 1, needs_index=True, updated_at=timezone.now(), **columns
    )
    if not changed:
        current = Record.objects.filter(pk=record.pk).values_list("version", flat=True).first()
        if current is None:
            raise NotFound(f"record {record.pk} does not exist")
        raise ConcurrentEdit(record_id=record.pk, expected_version=expected_version, current_version=current)
    record.refresh_from_db()
    RecordVersion.objects.create(
        record=record, version=record.version, marc=prepared.marc, action=action,
        institution=institution or record.institution, changed_by=user, note=note[:255],
    )
    RecordIdentifier.objects.filter(record=record).delete()
    RecordIdentifier.objects.bulk_create(_identifiers(record.pk, prepared))
    _stored(record)
    return record


@transaction.atomic
def record_update(
    *, record: Record, marc_record: pymarc.Record, expected_version: int, user=None,
    institution: Institution | None = None, note: str = "",
) -> Record:
    return _write_version(
        record=record, marc_record=marc_record, expected_version=expected_version, user=user,
        institution=institution, action=RecordVersion.Action.UPDATE, note=note,
    )


@transaction.atomic
def record_restore(*, record: Record, version: int, expected_version: int, user=None) -> Record:
    """Make an earlier version current again, as a new version (history is never rewritten)."""
    old = RecordVersion.objects.filter(record=record, version=version).first()
    if old is None:
        raise NotFound(f"record {record.pk} has no version {version}")
    return _write_version(
        record=record, marc_record=iso2709_to_record(bytes(old.marc)), expected_version=expected_version,
        user=user, institution=None, action=RecordVersion.Action.RESTORE, note=f"restored version {version}",
    )


@transaction.atomic
def record_delete(*, record: Record, expected_version: int, user=None, note: str = "") -> Record:
    """Withdraw a record; it stays in the database (history, and deleted-record reporting for harvesters)."""
    now = timezone.now()
    changed = Record.objects.filter(pk=record.pk, version=expected_version, deleted_at__isnull=True).update(
        version=F("version") + 1, deleted_at=now, updated_at=now, needs_index=True
    )
    if not changed:
        current = Record.objects.filter(pk=record.pk).values_list("version", flat=True).first()
        raise ConcurrentEdit(record_id=record.pk, expected_version=expected_version, current_version=current or 0)
    record.refresh_from_db()
    RecordVersion.objects.create(
        record=record, version=record.version, marc=record.marc, action=RecordVersion.Action.DELETE,
        institution=record.institution, changed_by=user, note=note[:255],
    )
    _stored(record)
    return record


@transaction.atomic
def holding_create(
    *, record: Record, institution: Institution, location: str = "", call_number: str = "", barcode: str = "",
    note: str = "",
) -> Holding:
    barcode = barcode.strip()
    if barcode and Holding.objects.filter(institution=institution, barcode=barcode).exists():
        raise ValidationFailed(f"barcode {barcode!r} is already used by another holding of {institution.code}")
    holding = Holding.objects.create(
        record=record, institution=institution, location=location.strip(), call_number=call_number.strip(),
        barcode=barcode, note=note,
    )
    Record.objects.filter(pk=record.pk).update(needs_index=True)
    transaction.on_commit(partial(index_after_commit, [record.pk]))
    return holding

"""Digitization lines: projects, batches, the items chosen for a line, their stages and access settings.

Each write is one transaction. A stage move is recorded as a ``StageEvent`` (who, when, why), and only the
moves in ``MOVES`` are possible; publication waits until QA has no blocking finding, unless a supervisor
overrides it with a reason (written on the event).
"""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction

from kitabkhana.accounts.models import Institution, Role
from kitabkhana.accounts.selectors import staff_role
from kitabkhana.catalogue.models import Holding, Record
from kitabkhana.core.errors import ValidationFailed
from kitabkhana.digitization.models import (
    Access,
    AccessChange,
    Batch,
    ColourMode,
    DigitalItem,
    Project,
    StageEvent,
)
from kitabkhana.digitization.services.indexing import item_record_reindex
from kitabkhana.marc.derive import scripts_of

Stage = DigitalItem.Stage

# Where an item may go from each stage. QA can send an item back to scanning (pages to redo); a published item
# can be withdrawn to QA for correction; a rejected one can be prepared again.
MOVES: dict[str, tuple[str, ...]] = {
    Stage.PREPARED: (Stage.SCANNING, Stage.REJECTED),
    Stage.SCANNING: (Stage.QA, Stage.PREPARED, Stage.REJECTED),
    Stage.QA: (Stage.PUBLISHED, Stage.SCANNING, Stage.REJECTED),
    Stage.PUBLISHED: (Stage.QA,),
    Stage.REJECTED: (Stage.PREPARED,),
}
# Moves that need a reason: a rejection, and taking a published book away from readers.
REASON_REQUIRED = {(stage, Stage.REJECTED) for stage in MOVES} | {(Stage.PUBLISHED, Stage.QA)}

# MARC language codes (with their ISO 639-2/T and 639-3 twins) of books read right to left: Persian, Arabic,
# Urdu, Pashto, Kurdish (Sorani) and Uyghur. Kurdish as a whole ("kur") is also written in Latin script, so
# it counts only through its title's script.
RTL_LANGUAGES = frozenset({"per", "fas", "ara", "urd", "pus", "pbt", "pbu", "ckb", "uig", "heb", "yid", "syr"})
CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_ARABIC_LETTER = re.compile("[\u0620-\u064a\u0671-\u06d3\u06fa-\u06ff]")
_LATIN_LETTER = re.compile("[A-Za-z\u00c0-\u024f]")
RIGHTS = re.compile(r"^https?://(creativecommons\.org/(licenses|publicdomain)/|rightsstatements\.org/vocab/)\S+$")


def viewing_direction_of(record: Record) -> str:
    """right-to-left when the record's language (008/35-37, 041) or its title's script says so."""
    languages = {code.strip().lower() for code in record.languages.split(",") if code.strip()}
    if languages & RTL_LANGUAGES:
        return "right-to-left"
    # The title as printed (the 880 original of a romanised record): mostly Arabic script means right to left.
    title = record.title_original or record.title
    if "Arab" in scripts_of([title]) and len(_ARABIC_LETTER.findall(title)) >= len(_LATIN_LETTER.findall(title)):
        return "right-to-left"
    return "left-to-right"


@transaction.atomic
def project_create(*, code: str, name: str, institution: Institution, names: dict[str, str] | None = None,
                   description: str = "", colour_mode: str = ColourMode.COLOUR, min_dpi: int = 300) -> Project:
    code = code.strip().lower()
    if not CODE.fullmatch(code):
        raise ValidationFailed(f"project code {code!r}: use lower-case letters, digits and '-'")
    if Project.objects.filter(code=code).exists():
        raise ValidationFailed(f"a project with code {code!r} already exists")
    if colour_mode not in ColourMode.values:
        raise ValidationFailed(f"colour mode {colour_mode!r}: one of {', '.join(ColourMode.values)}")
    if not 50 <= min_dpi <= 2400:
        raise ValidationFailed(f"minimum resolution {min_dpi} dpi: expected 50 to 2400")
    return Project.objects.create(code=code, name=name.strip() or code, names=names or {}, institution=institution,
                                  description=description, colour_mode=colour_mode, min_dpi=min_dpi)


@transaction.atomic
def batch_create(*, project: Project, name: str, user=None) -> Batch:
    name = name.strip()
    if not name:
        raise ValidationFailed("a batch needs a name")
    if Batch.objects.filter(project=project, name=name).exists():
        raise ValidationFailed(f"project {project.code} already has a batch {name!r}")
    return Batch.objects.create(project=project, name=name, created_by=user)


def batch_get_or_create(*, project: Project, name: str, user=None) -> Batch:
    batch = Batch.objects.filter(project=project, name=name.strip()).first()
    return batch or batch_create(project=project, name=name, user=user)


def _access_check(*, access: str, rights: str, embargo_until: dt.date | None) -> None:
    if access not in Access.values:
        raise ValidationFailed(f"access {access!r}: one of {', '.join(Access.values)}")
    if rights and not RIGHTS.fullmatch(rights):
        raise ValidationFailed(f"rights {rights!r}: give a Creative Commons or RightsStatements.org URI")
    if embargo_until is not None and not isinstance(embargo_until, dt.date):
        raise ValidationFailed("embargo_until must be a date")


def _structure_check(structure) -> list[dict]:
    """Ranges as [{"label": str, "first": int, "last": int}], pages counted from 1, first ≤ last."""
    if not isinstance(structure, list):
        raise ValidationFailed("structure: a list of ranges {label, first, last}")
    ranges = []
    for n, entry in enumerate(structure, 1):
        if not isinstance(entry, dict) or not str(entry.get("label", "")).strip():
            raise ValidationFailed(f"structure range {n}: needs a label")
        try:
            first, last = int(entry["first"]), int(entry["last"])
        except (KeyError, TypeError, ValueError):
            raise ValidationFailed(f"structure range {n}: needs page numbers first and last") from None
        if not 1 <= first <= last:
            raise ValidationFailed(f"structure range {n}: pages {first} to {last} (first ≥ 1, first ≤ last)")
        ranges.append({"label": str(entry["label"]).strip(), "first": first, "last": last})
    return ranges


@transaction.atomic
def item_add(*, project: Project, record: Record, holding: Holding | None = None, batch: Batch | None = None,
             access: str = Access.STAFF, embargo_until: dt.date | None = None, downloadable: bool = True,
             rights: str = "", user=None) -> DigitalItem:
    """Choose a record (and optionally the holding whose copy is scanned) for a line; it starts as prepared."""
    if record.deleted_at is not None:
        raise ValidationFailed(f"record {record.pk} is withdrawn")
    if holding is not None and holding.record_id != record.pk:
        raise ValidationFailed(f"holding {holding.barcode or holding.pk} belongs to record {holding.record_id}, "
                               f"not {record.pk}")
    if batch is not None and batch.project_id != project.pk:
        raise ValidationFailed(f"batch {batch.name!r} belongs to another project")
    existing = DigitalItem.objects.filter(project=project, record=record).first()
    if existing is not None:
        raise ValidationFailed(f"record {record.pk} is already in project {project.code} (item {existing.pk})")
    _access_check(access=access, rights=rights, embargo_until=embargo_until)
    item = DigitalItem.objects.create(
        project=project, record=record, holding=holding, batch=batch, access=access, embargo_until=embargo_until,
        downloadable=downloadable, rights=rights, viewing_direction=viewing_direction_of(record),
    )
    StageEvent.objects.create(item=item, stage=Stage.PREPARED, user=user)
    return item


def _label(stage: str) -> str:
    return str(Stage(stage).label)


@transaction.atomic
def item_stage_move(*, item: DigitalItem, stage: str, user, reason: str = "", override: bool = False) -> DigitalItem:
    """Move an item to ``stage``, recording who and why; refuse a move the line does not allow.

    Publishing needs QA without blocking findings; a supervisor or administrator may publish anyway with
    ``override`` and a reason.
    """
    current = DigitalItem.objects.select_for_update().get(pk=item.pk)
    reason = reason.strip()
    if stage not in MOVES:
        raise ValidationFailed(f"unknown stage {stage!r}")
    allowed = MOVES[current.stage]
    if stage not in allowed:
        raise ValidationFailed(
            f"item {current.pk} is in {_label(current.stage)}: it can move to "
            f"{' or '.join(_label(s) for s in allowed)}, not to {_label(stage)}"
        )
    if (current.stage, stage) in REASON_REQUIRED and not reason:
        raise ValidationFailed(f"moving item {current.pk} to {_label(stage)} needs a reason")
    if stage == Stage.PUBLISHED:
        if not current.pages.exists():
            raise ValidationFailed(f"item {current.pk} has no pages: ingest its folder first")
        blocking = current.qa_findings.filter(blocking=True).count()
        if blocking and not override:
            raise ValidationFailed(f"item {current.pk} has {blocking} blocking QA finding(s): fix and re-ingest, "
                                   f"or have a supervisor publish with an override and a reason")
        if blocking:
            if staff_role(user) not in {Role.SUPERVISOR, Role.ADMIN}:
                raise ValidationFailed("only a supervisor or administrator may publish over blocking QA findings")
            if not reason:
                raise ValidationFailed("publishing over blocking QA findings needs a reason")
            reason = f"QA override ({blocking} blocking finding(s)): {reason}"
    DigitalItem.objects.filter(pk=current.pk).update(stage=stage)
    StageEvent.objects.create(item=current, stage=stage, user=user, reason=reason)
    if Stage.PUBLISHED in (current.stage, stage):
        item_record_reindex(current)  # its OCR text enters or leaves the catalogue's index
    item.refresh_from_db()
    return item


@transaction.atomic
def item_access_update(*, item: DigitalItem, access: str, embargo_until: dt.date | None, downloadable: bool,
                       rights: str, structure: list | None = None, user=None) -> DigitalItem:
    """Who may read the item, until when it is embargoed, whether it may be downloaded, its rights and ranges.

    What changed in who may read it is recorded (``AccessChange``: who, when, before → after).
    """
    _access_check(access=access, rights=rights, embargo_until=embargo_until)
    wanted = {"access": access, "embargo_until": embargo_until, "downloadable": downloadable, "rights": rights}
    def shown(value) -> str:
        return "—" if value in (None, "") else str(value)

    changed = [f"{name}: {shown(getattr(item, name))} → {shown(value)}" for name, value in wanted.items()
               if getattr(item, name) != value]
    for name, value in wanted.items():
        setattr(item, name, value)
    fields = [*wanted, "updated_at"]
    if structure is not None:
        item.structure = _structure_check(structure)
        fields.append("structure")
    item.save(update_fields=fields)
    if changed:
        AccessChange.objects.create(item=item, user=user, changes="; ".join(changed))
        if item.stage == Stage.PUBLISHED:
            item_record_reindex(item)  # staff-only books' text leaves the catalogue's index, others' enters it
    return item


__all__ = ["MOVES", "REASON_REQUIRED", "RTL_LANGUAGES", "batch_create", "batch_get_or_create", "item_access_update",
           "item_add", "item_stage_move", "project_create", "viewing_direction_of"]

"""Ingest of page folders into digitized items: the background task and its steps.

``item_ingest_folder`` turns a folder of page masters into the item's pages: files in natural order (1, 2,
10; 0001r, 0001v), each checked by automatic QA (``kitabkhana.imaging.qa``), registered as an image (master kept
untouched with its checksum, pyramid made once), and given a label. It is safe to run again on the same
folder: a page whose file is unchanged (same name and checksum) is kept as it is, a renamed file is recognised
by its checksum, a changed file replaces its page, and a file that failed before is tried again. A file that
cannot become a page (unreadable, truncated, unsupported, a decompression bomb, a link out of the folder)
becomes a blocking QA finding naming it, and the rest of the folder still ingests. Nothing is written into
the folder: masters and pyramids go under the data directory.

Labels (docs/digitization.md): a file name ending in a folio number and side (``0001r``, ``f12v``) is
labelled ``1r``, ``12v``; one ending in a roman numeral up to xxxix after a separator (``000_iv``) or made of
one (``iv``) is labelled ``iv``; every other file is numbered 1, 2, 3 … in order.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F

from kitabkhana.catalogue.selectors import record_marc
from kitabkhana.core.errors import NotFound, ValidationFailed
from kitabkhana.digitization.models import DigitalImage, DigitalItem, Page, QaFinding
from kitabkhana.digitization.services.images import image_register, image_remove_files
from kitabkhana.digitization.services.lines import item_stage_move
from kitabkhana.imaging import qa
from kitabkhana.tasks.registry import Progress, task
from kitabkhana.tasks.services import task_enqueue

Stage = DigitalItem.Stage
# Left out of a folder listing: hidden files and what file managers leave behind.
_IGNORED = {"thumbs.db", "desktop.ini"}
_DIGITS = re.compile(r"(\d+)")
_FOLIO = re.compile(r"(?:^|[^a-z0-9]|[a-z])0*(\d+)\s*([rv])$", re.IGNORECASE)
_ROMAN = re.compile(r"(?:^|[_\-.\s])(x{0,3}(?:ix|iv|v?i{0,3}))$", re.IGNORECASE)
_HEIGHT_CM = re.compile(r"(\d+(?:[.,]\d+)?)\s*cm", re.IGNORECASE)
# Existing pages are moved out of the way while a folder is renumbered (Page.order is unique per item).
_ASIDE = 1_000_000

log = logging.getLogger(__name__)


class _NoProgress:
    def set_total(self, total: int | None) -> None:
        pass

    def advance(self, done: int, message: str = "") -> None:
        pass


@dataclass
class IngestResult:
    item: int
    folder: str
    files: int = 0
    added: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    findings: int = 0
    blocking: int = 0
    stage: str = ""

    def summary(self) -> dict[str, Any]:
        return {"item": self.item, "folder": self.folder, "files": self.files, "added": len(self.added),
                "kept": len(self.kept), "replaced": len(self.replaced), "failed": self.failed,
                "missing": self.missing, "findings": self.findings, "blocking": self.blocking, "stage": self.stage}


def natural_key(name: str) -> tuple:
    """Sort key putting 2 before 10 and 0001r before 0001v: digit runs compare as numbers."""
    stem = Path(name).stem.lower()
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in _DIGITS.split(stem) if part), name


def page_labels(names: list[str]) -> list[str]:
    """Labels for files already in page order: folio (``12v``), roman (``iv``), else 1, 2, 3 …"""
    labels, number = [], 0
    for name in names:
        stem = Path(name).stem
        if folio := _FOLIO.search(stem):
            labels.append(f"{int(folio.group(1))}{folio.group(2).lower()}")
        elif (roman := _ROMAN.search(stem)) and roman.group(1):
            labels.append(roman.group(1).lower())
        else:
            number += 1
            labels.append(str(number))
    return labels


def ingest_roots() -> list[Path]:
    """Where folders ingested from the staff pages may be: KITABKHANA["INGEST_ROOTS"], else <data>/ingest."""
    roots = settings.KITABKHANA.get("INGEST_ROOTS") or [Path(settings.KITABKHANA["DATA_DIR"]) / "ingest"]
    return [Path(root).resolve() for root in roots]


def folder_check(folder: Path | str, *, roots: list[Path] | None = None) -> Path:
    """The folder, resolved; refused when it is not a directory or (with ``roots``) lies outside them."""
    path = Path(folder).expanduser()
    if not path.is_absolute():
        raise ValidationFailed(f"{folder}: give the folder's full path on the server")
    resolved = path.resolve()
    if not resolved.is_dir():
        raise ValidationFailed(f"{folder}: no such folder on the server")
    if roots is not None and not any(resolved.is_relative_to(root) for root in roots):
        raise ValidationFailed(f"{folder}: folders for ingest must be under {', '.join(map(str, roots))}")
    return resolved


def _folder_files(folder: Path) -> list[Path]:
    files = [p for p in folder.iterdir()
             if not p.name.startswith(".") and p.name.lower() not in _IGNORED and (p.is_symlink() or p.is_file())]
    return sorted(files, key=lambda p: natural_key(p.name))


def _outside(path: Path, folder: Path) -> bool:
    """A link (or a link's target) that leaves the folder, or a target that is not a regular file."""
    if not path.is_symlink():
        return False
    target = path.resolve()
    return not target.is_relative_to(folder) or not target.is_file()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _page_height_cm(item: DigitalItem) -> float | None:
    """The original's height from the record's physical description (MARC 300 $c, e.g. "24 cm")."""
    try:
        marc = record_marc(item.record)
    except Exception:  # a record that cannot be parsed gives no height; QA falls back to pixel counts
        log.warning("record %s of item %s could not be read for its page height", item.record_id, item.pk,
                    exc_info=True)
        return None
    for f in marc.get_fields("300"):
        for value in f.get_subfields("c"):
            if m := _HEIGHT_CM.search(value):
                return float(m.group(1).replace(",", "."))
    return None


def _rules(item: DigitalItem) -> qa.Rules:
    project = item.project
    return qa.Rules(min_dpi=project.min_dpi, colour_mode=project.colour_mode, page_height_cm=_page_height_cm(item))


def _identifier(item: DigitalItem, position: int) -> str:
    base = f"{item.pk}-p{position:04d}"
    identifier, n = base, 1
    while DigitalImage.objects.filter(identifier=identifier).exists():
        n += 1
        identifier = f"{base}-{n}"
    return identifier


def _file_finding(item: DigitalItem, name: str, finding: qa.Finding) -> None:
    QaFinding.objects.create(item=item, source_name=name, kind=finding.kind, detail=finding.detail,
                             blocking=finding.blocking)


def _page_remove(page: Page) -> None:
    image = page.image
    page.delete()
    image.delete()
    transaction.on_commit(lambda: image_remove_files(image))


def _page_add(*, item: DigitalItem, path: Path, position: int, label: str, report: qa.PageReport) -> Page | None:
    """Register the master and write the page with its findings; None (and a finding) if registering fails."""
    try:
        image = image_register(source=path, identifier=_identifier(item, position))
    except ValidationFailed as exc:
        _file_finding(item, path.name, qa.Finding(qa.UNREADABLE, str(exc), True))
        return None
    try:
        with transaction.atomic():
            page = Page.objects.create(item=item, order=position, label=label, image=image, source_name=path.name,
                                       fingerprint=report.fingerprint)
            QaFinding.objects.bulk_create([
                QaFinding(item=item, page=page, source_name=path.name, kind=f.kind, detail=f.detail,
                          blocking=f.blocking) for f in report.findings
            ])
    except BaseException:
        image_remove_files(image)
        image.delete()
        raise
    return page


def item_ingest_folder(item: DigitalItem, folder: Path | str, *, user, progress: Progress | None = None,
                       roots: list[Path] | None = None) -> IngestResult:
    """Ingest ``folder`` as the pages of ``item`` (see the module's docstring); the item ends in QA.

    ``roots`` restricts where the folder may be (the staff pages pass ``ingest_roots()``; the command line,
    run by the server's own user, does not). Not one transaction: each page commits with its image, so an
    interrupted ingest keeps what it did and the next run resumes after it.
    """
    progress = progress or _NoProgress()
    folder = folder_check(folder, roots=roots)
    item = DigitalItem.objects.select_related("project", "record").get(pk=item.pk)
    if item.stage in (Stage.PUBLISHED, Stage.REJECTED):
        raise ValidationFailed(f"item {item.pk} is {Stage(item.stage).label}: move it back to QA or prepare it "
                               "again before ingesting pages")
    if item.stage == Stage.PREPARED:
        item_stage_move(item=item, stage=Stage.SCANNING, user=user, reason=f"folder ingest: {folder}")
    files = _folder_files(folder)
    names = [p.name for p in files]
    labels = page_labels(names)
    result = IngestResult(item=item.pk, folder=str(folder), files=len(files))
    progress.set_total(len(files))
    rules = _rules(item)

    pages = {p.source_name: p for p in item.pages.select_related("image")}
    # Existing pages step aside; each takes its new place (or the end, when its file is gone) below.
    Page.objects.filter(item=item, order__lt=_ASIDE).update(order=F("order") + _ASIDE)
    by_checksum = {p.image.master_sha256: p for p in pages.values() if p.source_name not in names}
    earlier: list[tuple[str, str]] = []
    placed: set[int] = set()

    for position, (path, label) in enumerate(zip(files, labels, strict=True), start=1):
        name = path.name
        if _outside(path, folder):
            QaFinding.objects.filter(item=item, page=None, source_name=name).delete()
            _file_finding(item, name, qa.Finding(qa.UNREADABLE, f"{name}: a link to something outside the folder "
                                                 "(refused)", True))
            result.failed.append(name)
            progress.advance(position, name)
            continue
        checksum = _sha256(path)
        page = pages.get(name)
        replaced = None
        if page is not None and page.image.master_sha256 != checksum:
            # The file was rescanned: its page (and findings) go once the new one is in. The new image gets a
            # new identifier, so no cache anywhere can serve the old scan under it.
            replaced, page = page, None
            result.replaced.append(name)
        elif page is None and checksum in by_checksum:
            page = by_checksum.pop(checksum)  # renamed since the last run
        if page is not None:
            Page.objects.filter(pk=page.pk).update(order=position, label=label, source_name=name)
            placed.add(page.pk)
            result.kept.append(name)
            if page.fingerprint:
                earlier.append((label, page.fingerprint))
            progress.advance(position, name)
            continue
        # A new (or fixed, or replaced) file: what was found in it before no longer holds.
        QaFinding.objects.filter(item=item, page=None, source_name=name).delete()
        report = qa.page_check(path, rules=rules, earlier=earlier)
        if replaced is not None:
            added = _page_add(item=item, path=path, position=position, label=label, report=report) \
                if report.readable else None
            _page_remove(replaced)
            if added is not None:
                placed.add(added.pk)
                if report.fingerprint:
                    earlier.append((label, report.fingerprint))
            else:
                for finding in report.findings if not report.readable else ():
                    _file_finding(item, name, finding)
                result.failed.append(name)
        elif not report.readable:
            for finding in report.findings:
                _file_finding(item, name, finding)
            result.failed.append(name)
        else:
            page = _page_add(item=item, path=path, position=position, label=label, report=report)
            if page is None:
                result.failed.append(name)
            else:
                placed.add(page.pk)
                result.added.append(name)
                if report.fingerprint:
                    earlier.append((label, report.fingerprint))
        progress.advance(position, name)

    # A file that failed and has since been taken out of the folder no longer holds the item back.
    QaFinding.objects.filter(item=item, page=None).exclude(source_name__in=names).delete()
    # Pages whose file left the folder are kept (staff decide) after the others, in their old order.
    for extra, page in enumerate(item.pages.exclude(pk__in=placed).order_by("order"), start=len(files) + 1):
        Page.objects.filter(pk=page.pk).update(order=extra)
        result.missing.append(page.source_name)

    item.refresh_from_db()
    if item.stage == Stage.SCANNING:
        item_stage_move(item=item, stage=Stage.QA, user=user,
                        reason=f"folder ingest: {len(result.added) + len(result.replaced)} page(s) added")
        item.refresh_from_db()
    findings = item.qa_findings.all()
    result.findings = findings.count()
    result.blocking = findings.filter(blocking=True).count()
    result.stage = item.stage
    return result


def _user(user_id: int | None):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=user_id).first() if user_id else None


@task("digitization.ingest")
def ingest_task(*, progress: Progress, item: int, folder: str, user_id: int | None = None,
                publish: bool = False, ocr: bool = False) -> dict:
    """Ingest a folder queued from the staff pages (folders under ``ingest_roots()`` only); safe to run twice."""
    digital_item = DigitalItem.objects.filter(pk=item).first()
    if digital_item is None:
        raise NotFound(f"no digitized item {item}")
    user = _user(user_id)
    result = item_ingest_folder(digital_item, folder, user=user, progress=progress, roots=ingest_roots())
    summary = result.summary()
    if publish and result.stage == Stage.QA and not result.blocking:
        item_stage_move(item=digital_item, stage=Stage.PUBLISHED, user=user, reason="published after ingest")
        summary["stage"] = Stage.PUBLISHED
    if ocr:
        try:
            summary["ocr_task"] = str(task_enqueue(name="digitization.ocr", arguments={"item": item},
                                                   created_by=user).pk)
        except LookupError as exc:  # OCR not installed here: the pages are in, say why OCR is not
            summary["ocr_task"] = None
            summary["ocr_error"] = str(exc)
    return summary


__all__ = ["IngestResult", "folder_check", "ingest_roots", "ingest_task", "item_ingest_folder", "natural_key",
           "page_labels"]

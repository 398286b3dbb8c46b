"""Folder ingest (services.ingest): pages in natural order with labels, progress per page, resumable runs, and
every bad file of the Bad input list becoming a blocking QA finding naming it while the rest still ingests.
All on real rendered pages (the ``page_scan`` fixture)."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import pytest
from django.conf import settings

from kitabkhana.accounts.services import institution_default
from kitabkhana.core.errors import ValidationFailed
from kitabkhana.digitization.models import DigitalImage, DigitalItem, Page, QaFinding, StageEvent
from kitabkhana.digitization.services.images import IDENTIFIER, image_path
from kitabkhana.digitization.services.ingest import item_ingest_folder, natural_key, page_labels
from kitabkhana.digitization.services.lines import item_add, project_create
from kitabkhana.digitization.tests.lines_support import SIZE, folder_of_pages, page_text, record
from kitabkhana.tasks.models import TaskRun, TaskStatus
from kitabkhana.tasks.services import task_enqueue

pytestmark = pytest.mark.django_db
Stage = DigitalItem.Stage


class Recorder:
    """A Progress that remembers what it was told."""

    def __init__(self) -> None:
        self.total: int | None = None
        self.steps: list[tuple[int, str]] = []

    def set_total(self, total: int | None) -> None:
        self.total = total

    def advance(self, done: int, message: str = "") -> None:
        self.steps.append((done, message))


@pytest.fixture
def item(cataloguer):
    institution = institution_default()
    project = project_create(code="manuscripts", name="Manuscripts", institution=institution)
    return item_add(project=project, record=record(title="دیوان حافظ"), user=cataloguer)


def _png_bomb(path: Path) -> None:
    """A real PNG whose IHDR claims 100 000 × 100 000 pixels (30 GB decoded) in a few dozen bytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
                     + chunk(b"IEND", b""))


def _cut_in_half(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def test_natural_order_and_labels():
    assert sorted(["10.tif", "2.tif", "1.tif"], key=natural_key) == ["1.tif", "2.tif", "10.tif"]
    assert sorted(["0002r.tif", "0001v.tif", "0001r.tif"], key=natural_key) == ["0001r.tif", "0001v.tif",
                                                                                  "0002r.tif"]
    assert page_labels(["000_i.tif", "000_ii.tif", "001.tif", "002.tif"]) == ["i", "ii", "1", "2"]
    assert page_labels(["f001r.jpg", "f001v.jpg", "f002r.jpg"]) == ["1r", "1v", "2r"]
    assert page_labels(["scan-a.tif", "scan-b.tif"]) == ["1", "2"]


def test_a_folder_becomes_pages_in_order_with_progress_and_the_item_goes_to_qa(item, cataloguer, page_scan,
                                                                              tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    # Written out of order, and 10 after 2: natural order decides, not the listing or plain string order.
    for n, suffix in [(10, ".jpg"), (2, ".png"), (1, ".tif")]:
        page_scan(folder / f"{n}{suffix}", page_text(n), **SIZE)
    progress = Recorder()
    result = item_ingest_folder(item, folder, user=cataloguer, progress=progress)
    pages = list(Page.objects.filter(item=item).select_related("image").order_by("order"))
    assert [(p.order, p.label, p.source_name) for p in pages] == [(1, "1", "1.tif"), (2, "2", "2.png"),
                                                                   (3, "3", "10.jpg")]
    assert [p.image.master_format for p in pages] == ["tiff", "png", "jpeg"]
    for p in pages:
        assert IDENTIFIER.fullmatch(p.image.identifier) and p.image.identifier.startswith(f"{item.pk}-p")
        assert image_path(p.image, "master").read_bytes() == (folder / p.source_name).read_bytes()
        assert image_path(p.image).is_file() and (p.image.width, p.image.height) == (1200, 1700)
        assert Path(settings.KITABKHANA["DATA_DIR"]) in image_path(p.image).parents
    assert progress.total == 3 and [done for done, _ in progress.steps] == [1, 2, 3]
    assert progress.steps[-1][1] == "10.jpg"
    item.refresh_from_db()
    assert item.stage == Stage.QA and result.stage == Stage.QA
    assert list(StageEvent.objects.filter(item=item).values_list("stage", flat=True)) == [
        Stage.PREPARED, Stage.SCANNING, Stage.QA]
    assert result.summary()["added"] == 3 and not QaFinding.objects.filter(item=item).exists()
    assert sorted(os.listdir(folder)) == ["1.tif", "10.jpg", "2.png"]  # nothing written into the folder


def test_running_again_is_safe_and_resumes(item, cataloguer, page_scan, tmp_path):
    folder = tmp_path / "scans"
    folder_of_pages(page_scan, folder, 2)
    first = item_ingest_folder(item, folder, user=cataloguer)
    assert len(first.added) == 2
    images_before = set(DigitalImage.objects.values_list("identifier", flat=True))
    # The operator adds the missing pages (one in the middle) and runs the same ingest again.
    page_scan(folder / "0003.tif", page_text(3), **SIZE)
    page_scan(folder / "0001a.tif", page_text(5), **SIZE)
    progress = Recorder()
    again = item_ingest_folder(item, folder, user=cataloguer, progress=progress)
    assert sorted(again.kept) == ["0001.tif", "0002.tif"] and sorted(again.added) == ["0001a.tif", "0003.tif"]
    assert progress.total == 4
    assert list(Page.objects.filter(item=item).order_by("order").values_list("order", "source_name")) == [
        (1, "0001.tif"), (2, "0001a.tif"), (3, "0002.tif"), (4, "0003.tif")]
    assert images_before <= set(DigitalImage.objects.values_list("identifier", flat=True))
    assert DigitalImage.objects.count() == 4
    # A third run changes nothing; a renamed file is recognised by its checksum.
    (folder / "0003.tif").rename(folder / "0004.tif")
    third = item_ingest_folder(item, folder, user=cataloguer)
    assert third.added == [] and len(third.kept) == 4 and DigitalImage.objects.count() == 4
    assert Page.objects.filter(item=item, source_name="0004.tif").exists()
    assert StageEvent.objects.filter(item=item, stage=Stage.QA).count() == 1


def test_a_replaced_file_replaces_its_page(item, cataloguer, page_scan, tmp_path,
                                           django_capture_on_commit_callbacks):
    folder = tmp_path / "scans"
    folder_of_pages(page_scan, folder, 2)
    item_ingest_folder(item, folder, user=cataloguer)
    old = Page.objects.get(item=item, source_name="0002.tif").image
    page_scan(folder / "0002.tif", page_text(4), **SIZE)  # rescanned
    with django_capture_on_commit_callbacks(execute=True):
        result = item_ingest_folder(item, folder, user=cataloguer)
    assert result.replaced == ["0002.tif"] and result.added == []
    new = Page.objects.get(item=item, source_name="0002.tif").image
    assert new.master_sha256 != old.master_sha256 and not DigitalImage.objects.filter(pk=old.pk).exists()
    assert new.identifier != old.identifier  # no cache can serve the old scan under the new page's name
    assert not image_path(old, "master").exists() and image_path(new, "master").exists()
    assert list(Page.objects.filter(item=item).values_list("order", "source_name")) == [(1, "0001.tif"),
                                                                                        (2, "0002.tif")]


def test_bad_files_become_blocking_findings_and_the_rest_ingests(item, cataloguer, page_scan, tmp_path):
    folder = tmp_path / "scans"
    folder_of_pages(page_scan, folder, 2)
    page_scan(folder / "0003.tif", page_text(3), **SIZE)
    _cut_in_half(folder / "0003.tif")
    page_scan(folder / "0004.jpg", page_text(4), **SIZE)
    _cut_in_half(folder / "0004.jpg")
    (folder / "0005.tif").write_text("not an image, a text file with the wrong name\n")
    _png_bomb(folder / "0006.png")
    (folder / "0007.gif").write_bytes(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;")
    secret = tmp_path / "outside.tif"
    page_scan(secret, page_text(5), **SIZE)
    (folder / "0008.tif").symlink_to(secret)
    page_scan(folder / "0009.tif", page_text(6), **SIZE)

    result = item_ingest_folder(item, folder, user=cataloguer)
    assert sorted(result.added) == ["0001.tif", "0002.tif", "0009.tif"]
    assert sorted(result.failed) == ["0003.tif", "0004.jpg", "0005.tif", "0006.png", "0007.gif", "0008.tif"]
    findings = {f.source_name: f for f in QaFinding.objects.filter(item=item)}
    assert set(findings) == set(result.failed)
    assert all(f.blocking and f.page_id is None for f in findings.values())
    assert findings["0003.tif"].kind == "unreadable" and "0003.tif" in findings["0003.tif"].detail
    assert findings["0004.jpg"].kind == "unreadable" and "truncated" in findings["0004.jpg"].detail
    assert findings["0005.tif"].kind == "unreadable"
    assert findings["0006.png"].kind == "oversized" and "100000" in findings["0006.png"].detail
    assert findings["0007.gif"].kind in {"unsupported", "unreadable"}
    assert "outside the folder" in findings["0008.tif"].detail
    # Page 9 keeps its place (and label) after the failed files: orders follow the folder.
    assert Page.objects.get(item=item, source_name="0009.tif").label == "9"
    assert not DigitalImage.objects.filter(master_sha256__in=[]).exists()
    assert result.blocking == 6 and DigitalItem.objects.get(pk=item.pk).stage == Stage.QA

    # The operator fixes the truncated page and runs again: its finding goes, the page comes.
    page_scan(folder / "0003.tif", page_text(3), **SIZE)
    again = item_ingest_folder(item, folder, user=cataloguer)
    assert again.added == ["0003.tif"]
    assert not QaFinding.objects.filter(item=item, source_name="0003.tif").exists()
    assert QaFinding.objects.filter(item=item, source_name="0004.jpg").count() == 1  # not duplicated

    # The text file and the GIF are taken out of the folder: what was found in them goes with them.
    (folder / "0005.tif").unlink()
    (folder / "0007.gif").unlink()
    third = item_ingest_folder(item, folder, user=cataloguer)
    assert set(QaFinding.objects.filter(item=item).values_list("source_name", flat=True)) == {
        "0004.jpg", "0006.png", "0008.tif"}
    assert third.blocking == 3


def test_qa_findings_on_pages(item, cataloguer, page_scan, tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    page_scan(folder / "0001.tif", page_text(1), **SIZE)
    page_scan(folder / "0002.tif", blank=True, **SIZE)
    page_scan(folder / "0003.jpg", page_text(1), **SIZE)  # the first page scanned again
    page_scan(folder / "0004.tif", page_text(4), width=600, height=850, dpi=150)
    page_scan(folder / "0005.tif", page_text(5), colour=False, **SIZE)
    item_ingest_folder(item, folder, user=cataloguer)
    found = {(f.page.source_name, f.kind): f for f in QaFinding.objects.filter(item=item).select_related("page")}
    assert set(found) == {("0002.tif", "blank"), ("0003.jpg", "duplicate"), ("0004.tif", "resolution"),
                          ("0005.tif", "colour")}
    assert not found[("0002.tif", "blank")].blocking
    assert found[("0003.jpg", "duplicate")].blocking and "page 1" in found[("0003.jpg", "duplicate")].detail
    assert "150 dpi" in found[("0004.tif", "resolution")].detail
    assert "grey page in a colour line" in found[("0005.tif", "colour")].detail
    # Resumed later, a new page is still compared with the pages already ingested.
    page_scan(folder / "0006.png", page_text(5), colour=True, **SIZE)
    item_ingest_folder(item, folder, user=cataloguer)
    assert QaFinding.objects.get(item=item, page__source_name="0006.png").kind == "duplicate"


def test_folder_refusals(item, cataloguer, tmp_path):
    with pytest.raises(ValidationFailed, match="no such folder"):
        item_ingest_folder(item, tmp_path / "nowhere", user=cataloguer)
    with pytest.raises(ValidationFailed, match="full path"):
        item_ingest_folder(item, "relative/scans", user=cataloguer)
    (tmp_path / "scans").mkdir()
    with pytest.raises(ValidationFailed, match="must be under"):
        item_ingest_folder(item, tmp_path / "scans", user=cataloguer, roots=[tmp_path / "ingest"])


def test_the_ingest_task_reports_progress_on_its_run(item, cataloguer, page_scan):
    folder = Path(settings.KITABKHANA["DATA_DIR"]) / "ingest" / "hafez"
    folder_of_pages(page_scan, folder, 2)
    run = task_enqueue(name="digitization.ingest", arguments={
        "item": item.pk, "folder": str(folder), "user_id": cataloguer.pk, "publish": True})
    run = TaskRun.objects.get(pk=run.pk)  # the inline backend ran it on commit (tests run in a transaction)
    if run.status == TaskStatus.QUEUED:
        from kitabkhana.tasks.services import task_execute

        run = task_execute(run.pk)
    assert run.status == TaskStatus.DONE, run.error
    assert run.total == 2 and run.result["added"] == 2 and run.result["stage"] == Stage.PUBLISHED
    assert DigitalItem.objects.get(pk=item.pk).stage == Stage.PUBLISHED

"""Staff pages of the digitization lines: who may see and change what (cataloguers look; only staff of the
project's institution change, others get 404), the project and item pages with figures, thumbnails, findings
and history, the forms (add an item, batches, stage moves, access) and the ingest form queueing its task.
Also `kitabkhana digitization ingest` end to end."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from kitabkhana.accounts.models import Institution, Role
from kitabkhana.accounts.services import institution_default, staff_user_create
from kitabkhana.catalogue.services.records import holding_create
from kitabkhana.digitization.models import DigitalItem, Page
from kitabkhana.digitization.services.ingest import item_ingest_folder
from kitabkhana.digitization.services.lines import item_add, project_create
from kitabkhana.digitization.tests.lines_support import SIZE, folder_of_pages, page_text, record
from kitabkhana.tasks.models import TaskRun

pytestmark = pytest.mark.django_db
Stage = DigitalItem.Stage


@pytest.fixture
def project(cataloguer):
    return project_create(code="manuscripts", name="Manuscripts", institution=institution_default())


@pytest.fixture
def item(project, cataloguer):
    return item_add(project=project, record=record(title="دیوان حافظ"), user=cataloguer)


@pytest.fixture
def outsider(client):
    """A cataloguer of a provincial centre: may look at the national library's lines, not change them."""
    centre = Institution.objects.create(code="IrMsh", name="Mashhad centre", kind="provincial")
    user = staff_user_create(username="msh", password="a-long-password-1", institution=centre, role=Role.CATALOGUER)
    client.force_login(user)
    return user


def test_pages_need_a_cataloguer(client, project):
    url = reverse("digitization:projects")
    client.logout()
    assert client.get(url).status_code == 302  # to sign-in
    reader = get_user_model().objects.create_user("reader", password="a-long-password-1")
    client.force_login(reader)
    assert client.get(url).status_code == 403


def test_projects_and_project_page_show_figures(client, item, cataloguer, page_scan, tmp_path):
    folder_of_pages(page_scan, tmp_path / "scans", 2)
    item_ingest_folder(item, tmp_path / "scans", user=cataloguer)
    page = client.get(reverse("digitization:projects")).content.decode()
    assert "manuscripts" in page and "Manuscripts" in page
    page = client.get(reverse("digitization:project", args=["manuscripts"])).content.decode()
    assert "دیوان حافظ" in page and "Quality assurance" in page and "Figures per day" in page
    assert client.get(reverse("digitization:project", args=["nothing"])).status_code == 404


def test_item_page_shows_thumbnails_findings_history_and_forms(client, item, cataloguer, page_scan, tmp_path):
    folder = tmp_path / "scans"
    folder_of_pages(page_scan, folder, 2)
    page_scan(folder / "0003.tif", blank=True, **SIZE)
    item_ingest_folder(item, folder, user=cataloguer)
    response = client.get(reverse("digitization:item", args=[item.pk]))
    html = response.content.decode()
    for p in Page.objects.filter(item=item):
        assert f"/iiif/3/{p.image.identifier}/full/,150/0/default.jpg" in html
    assert "Blank page" in html and "0003.tif" in html
    assert "Move to Published" in html and "Move to Scanning" in html
    assert "Access settings" in html and "Stage history" in html


def test_add_item_and_batch_forms(client, project, cataloguer):
    book = record(title="گلستان", control="7")
    holding_create(record=book, institution=institution_default(), barcode="NL-77")
    url = reverse("digitization:item-add", args=[project.code])
    assert client.get(url).status_code == 200
    response = client.post(url, {"record": book.pk, "holding": "NL-77", "batch": "2026-01", "access": "open"})
    item = DigitalItem.objects.get(record=book)
    assert response.status_code == 302 and response["Location"] == reverse("digitization:item", args=[item.pk])
    assert (item.holding.barcode, item.batch.name, item.access, item.viewing_direction) == (
        "NL-77", "2026-01", "open", "right-to-left")
    again = client.post(url, {"record": book.pk, "access": "open"})
    assert again.status_code == 400 and "already in project" in again.content.decode()
    missing = client.post(url, {"record": 999999, "access": "open"})
    assert missing.status_code == 400 and "not found" in missing.content.decode()
    response = client.post(reverse("digitization:batch-add", args=[project.code]), {"name": "2026-02"})
    assert response.status_code == 302 and project.batches.filter(name="2026-02").exists()


def test_stage_moves_and_access_settings_through_the_page(client, item, cataloguer):
    stage_url = reverse("digitization:item-stage", args=[item.pk])
    refused = client.post(stage_url, {"stage": "published"})
    assert refused.status_code == 400 and "not to Published" in refused.content.decode()
    no_reason = client.post(stage_url, {"stage": "rejected", "reason": ""})
    assert no_reason.status_code == 400 and "needs a reason" in no_reason.content.decode()
    assert client.post(stage_url, {"stage": "rejected", "reason": "pages missing"}).status_code == 302
    item.refresh_from_db()
    assert item.stage == Stage.REJECTED and item.events.last().reason == "pages missing"
    assert item.events.last().user == cataloguer

    access_url = reverse("digitization:item-access", args=[item.pk])
    response = client.post(access_url, {
        "access": "on_site", "embargo_until": "2031-03-21", "downloadable": "", "rights":
        "https://creativecommons.org/publicdomain/mark/1.0/",
        "structure": json.dumps([{"label": "دیباچه", "first": 1, "last": 3}]),
    })
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.access, str(item.embargo_until), item.downloadable) == ("on_site", "2031-03-21", False)
    assert item.structure == [{"label": "دیباچه", "first": 1, "last": 3}]
    bad = client.post(access_url, {"access": "open", "structure": "[{"})
    assert bad.status_code == 400 and "Not valid JSON" in bad.content.decode()


def test_another_institutions_cataloguer_may_look_but_gets_404_on_writes(client, item, outsider):
    assert client.get(reverse("digitization:item", args=[item.pk])).status_code == 200
    assert "Move to Scanning" not in client.get(reverse("digitization:item", args=[item.pk])).content.decode()
    writes = [
        (reverse("digitization:item-stage", args=[item.pk]), {"stage": "scanning"}),
        (reverse("digitization:item-access", args=[item.pk]), {"access": "open"}),
        (reverse("digitization:item-ingest", args=[item.pk]), {"folder": "/tmp"}),
        (reverse("digitization:item-add", args=["manuscripts"]), {"record": item.record_id}),
        (reverse("digitization:batch-add", args=["manuscripts"]), {"name": "x"}),
    ]
    for url, data in writes:
        assert client.post(url, data).status_code == 404, url
    assert client.get(reverse("digitization:item-ingest", args=[item.pk])).status_code == 404
    item.refresh_from_db()
    assert item.stage == Stage.PREPARED and item.access == "staff"


def test_ingest_form_queues_the_task_for_folders_under_the_ingest_root(client, item, cataloguer, page_scan,
                                                                      tmp_path, django_capture_on_commit_callbacks):
    url = reverse("digitization:item-ingest", args=[item.pk])
    assert client.get(url).status_code == 200
    (tmp_path / "elsewhere").mkdir()
    refused = client.post(url, {"folder": str(tmp_path / "elsewhere")})
    assert refused.status_code == 400 and "must be under" in refused.content.decode()
    assert not TaskRun.objects.exists()
    folder = Path(settings.KITABKHANA["DATA_DIR"]) / "ingest" / "hafez"
    folder_of_pages(page_scan, folder, 2)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"folder": str(folder), "publish": "on"})
    run = TaskRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("tasks:detail", args=[run.pk])
    assert run.name == "digitization.ingest" and run.arguments["item"] == item.pk and run.created_by == cataloguer
    run.refresh_from_db()
    assert run.status == "done", run.error
    assert run.result["added"] == 2 and DigitalItem.objects.get(pk=item.pk).stage == Stage.PUBLISHED


def test_the_ingest_command(project, page_scan, tmp_path):
    book = record(title="دیوان حافظ")
    folder = tmp_path / "scans"
    folder_of_pages(page_scan, folder, 3)
    out = io.StringIO()
    call_command("digitization", "ingest", str(folder), "--record", str(book.pk), "--project", "manuscripts",
                 "--batch", "2026-01", "--access", "open", "--publish", "--json", stdout=out)
    summary = json.loads(out.getvalue())
    item = DigitalItem.objects.get(record=book)
    assert summary == {**summary, "item": item.pk, "added": 3, "failed": [], "stage": "published"}
    assert (item.stage, item.access, item.batch.name, item.pages.count()) == ("published", "open", "2026-01", 3)
    # A published book is not re-ingested behind readers' backs.
    with pytest.raises(CommandError, match="is Published: move it back to QA"):
        call_command("digitization", "ingest", str(folder), "--record", str(book.pk), "--project", "manuscripts")


def test_the_ingest_command_resumes_and_reports_findings(project, page_scan, tmp_path, capsys):
    book = record(title="دیوان حافظ")
    folder = tmp_path / "scans"
    folder_of_pages(page_scan, folder, 2)
    (folder / "0003.tif").write_text("not an image")
    args = ["digitization", "ingest", str(folder), "--record", str(book.pk), "--project", "manuscripts",
            "--publish"]
    with pytest.raises(SystemExit) as exit_:
        call_command(*args, stdout=io.StringIO())
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "2 added" in err and "0003.tif: unreadable" in err and "not published: 1 blocking" in err
    item = DigitalItem.objects.get(record=book)
    assert item.stage == Stage.QA
    page_scan(folder / "0003.tif", page_text(3), **SIZE)
    call_command(*args, stdout=io.StringIO())
    assert "1 added, 2 kept" in capsys.readouterr().err
    item.refresh_from_db()
    assert item.stage == Stage.PUBLISHED and item.pages.count() == 3
    with pytest.raises(CommandError, match="no digitization project"):
        call_command("digitization", "ingest", str(folder), "--record", str(book.pk), "--project", "nope")

"""Digitization lines (services.lines, line_selectors): projects, batches, items chosen by record and holding
with their reading direction, the stage rules with their events, publication held by blocking QA findings,
access settings, figures per line and per day, and the `kitabkhana digitization project/figures` commands."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from kitabkhana.accounts.models import Role
from kitabkhana.accounts.services import institution_default, staff_user_create
from kitabkhana.catalogue.services.records import holding_create
from kitabkhana.core.errors import ValidationFailed
from kitabkhana.digitization import line_selectors
from kitabkhana.digitization.models import Access, DigitalItem, Project, QaFinding, StageEvent
from kitabkhana.digitization.services.ingest import item_ingest_folder
from kitabkhana.digitization.services.lines import (
    batch_create,
    item_access_update,
    item_add,
    item_stage_move,
    project_create,
)
from kitabkhana.digitization.tests.lines_support import SIZE, folder_of_pages, page_text, record

pytestmark = pytest.mark.django_db
Stage = DigitalItem.Stage


@pytest.fixture
def national():
    return institution_default()


@pytest.fixture
def project(national):
    return project_create(code="manuscripts", name="Manuscripts", institution=national)


@pytest.fixture
def supervisor(national):
    return staff_user_create(username="sup", password="a-long-password-1", institution=national,
                             role=Role.SUPERVISOR)


def test_project_and_batch_rules(project, national):
    assert (project.colour_mode, project.min_dpi) == ("colour", 300)
    with pytest.raises(ValidationFailed, match="already exists"):
        project_create(code="manuscripts", name="Again", institution=national)
    with pytest.raises(ValidationFailed, match="project code"):
        project_create(code="Bad Code!", name="x", institution=national)
    batch = batch_create(project=project, name="2026-01")
    assert str(batch) == "manuscripts/2026-01"
    with pytest.raises(ValidationFailed, match="already has a batch"):
        batch_create(project=project, name="2026-01")


@pytest.mark.parametrize(("kwargs", "direction"), [
    ({"title": "دیوان حافظ", "language": "per"}, "right-to-left"),
    ({"title": "Kitab al-Aghani", "language": "ara"}, "right-to-left"),
    ({"title": "Divan", "language": "und", "languages_041": ["eng", "urd"]}, "right-to-left"),
    ({"title": "ئۇيغۇر تىلى", "language": "und"}, "right-to-left"),  # Uyghur title, no language coded
    ({"title": "Pride and Prejudice", "language": "eng"}, "left-to-right"),
    ({"title": "Qazaq tili", "language": "kaz"}, "left-to-right"),
])
def test_reading_direction_from_language_or_title_script(project, kwargs, direction, cataloguer):
    item = item_add(project=project, record=record(**kwargs), user=cataloguer)
    assert item.viewing_direction == direction
    assert list(item.events.values_list("stage", "user")) == [(Stage.PREPARED, cataloguer.pk)]


def test_item_by_record_and_holding(project, national, cataloguer):
    book = record(title="دیوان حافظ")
    other = record(title="گلستان", control="2")
    holding = holding_create(record=book, institution=national, barcode="B-1")
    batch = batch_create(project=project, name="first")
    with pytest.raises(ValidationFailed, match="belongs to record"):
        item_add(project=project, record=other, holding=holding)
    item = item_add(project=project, record=book, holding=holding, batch=batch, access=Access.OPEN)
    assert (item.holding, item.batch, item.access, item.stage) == (holding, batch, "open", "prepared")
    with pytest.raises(ValidationFailed, match="already in project manuscripts"):
        item_add(project=project, record=book)
    with pytest.raises(ValidationFailed, match="access"):
        item_add(project=project, record=other, access="everyone")


def test_stage_moves_write_events_and_refuse_impossible_moves(project, cataloguer):
    item = item_add(project=project, record=record(title="دیوان حافظ"), user=cataloguer)
    with pytest.raises(ValidationFailed, match="is in Prepared: it can move to Scanning or Rejected, not to "
                                               "Published"):
        item_stage_move(item=item, stage=Stage.PUBLISHED, user=cataloguer)
    with pytest.raises(ValidationFailed, match="needs a reason"):
        item_stage_move(item=item, stage=Stage.REJECTED, user=cataloguer, reason="  ")
    item_stage_move(item=item, stage=Stage.REJECTED, user=cataloguer, reason="binding too fragile to open")
    assert item.stage == Stage.REJECTED
    event = StageEvent.objects.filter(item=item).last()
    assert (event.stage, event.user, event.reason) == ("rejected", cataloguer, "binding too fragile to open")
    assert event.at <= timezone.now()
    with pytest.raises(ValidationFailed, match="not to Scanning"):
        item_stage_move(item=item, stage=Stage.SCANNING, user=cataloguer)
    item_stage_move(item=item, stage=Stage.PREPARED, user=cataloguer, reason="conservator repaired it")
    item_stage_move(item=item, stage=Stage.SCANNING, user=cataloguer)
    item_stage_move(item=item, stage=Stage.QA, user=cataloguer)
    with pytest.raises(ValidationFailed, match="no pages"):
        item_stage_move(item=item, stage=Stage.PUBLISHED, user=cataloguer)
    with pytest.raises(ValidationFailed, match="unknown stage"):
        item_stage_move(item=item, stage="lost", user=cataloguer)
    assert list(item.events.values_list("stage", flat=True)) == [
        "prepared", "rejected", "prepared", "scanning", "qa"]


def test_publication_waits_for_blocking_findings_unless_a_supervisor_overrides(project, cataloguer, supervisor,
                                                                             page_scan, tmp_path):
    item = item_add(project=project, record=record(title="دیوان حافظ"), user=cataloguer)
    folder = tmp_path / "scans"
    folder_of_pages(page_scan, folder, 2)
    page_scan(folder / "0003.tif", page_text(1), **SIZE)  # page 1 again: a blocking duplicate
    item_ingest_folder(item, folder, user=cataloguer)
    item.refresh_from_db()
    assert item.stage == Stage.QA
    with pytest.raises(ValidationFailed, match="1 blocking QA finding"):
        item_stage_move(item=item, stage=Stage.PUBLISHED, user=cataloguer)
    with pytest.raises(ValidationFailed, match="only a supervisor"):
        item_stage_move(item=item, stage=Stage.PUBLISHED, user=cataloguer, override=True, reason="fine")
    with pytest.raises(ValidationFailed, match="needs a reason"):
        item_stage_move(item=item, stage=Stage.PUBLISHED, user=supervisor, override=True)
    item_stage_move(item=item, stage=Stage.PUBLISHED, user=supervisor, override=True,
                    reason="the manuscript repeats this leaf")
    event = item.events.last()
    assert event.user == supervisor and event.reason.startswith("QA override (1 blocking finding(s)):")
    # Withdrawn for correction (with a reason), the duplicate removed, then published without override.
    with pytest.raises(ValidationFailed, match="needs a reason"):
        item_stage_move(item=item, stage=Stage.QA, user=cataloguer)
    item_stage_move(item=item, stage=Stage.QA, user=cataloguer, reason="remove the repeated leaf")
    QaFinding.objects.filter(item=item).delete()
    item_stage_move(item=item, stage=Stage.PUBLISHED, user=cataloguer)
    assert item.stage == Stage.PUBLISHED


def test_access_settings(project, cataloguer):
    item = item_add(project=project, record=record(title="دیوان حافظ"))
    item_access_update(item=item, access=Access.REGISTERED, embargo_until=dt.date(2030, 1, 1), downloadable=False,
                       rights="http://rightsstatements.org/vocab/InC/1.0/",
                       structure=[{"label": "مقدمه", "first": 1, "last": "4"}])
    item = DigitalItem.objects.get(pk=item.pk)
    assert (item.access, item.embargo_until, item.downloadable) == ("registered", dt.date(2030, 1, 1), False)
    assert item.structure == [{"label": "مقدمه", "first": 1, "last": 4}]
    with pytest.raises(ValidationFailed, match="Creative Commons or RightsStatements"):
        item_access_update(item=item, access="open", embargo_until=None, downloadable=True,
                           rights="https://example.com/my-rights")
    with pytest.raises(ValidationFailed, match="structure range 1"):
        item_access_update(item=item, access="open", embargo_until=None, downloadable=True, rights="",
                           structure=[{"label": "x", "first": 5, "last": 2}])


def test_figures_per_line_and_day(project, national, cataloguer, page_scan, tmp_path):
    other = project_create(code="newspapers", name="Newspapers", institution=national)
    first = item_add(project=project, record=record(title="دیوان حافظ"), user=cataloguer)
    item_add(project=project, record=record(title="گلستان", control="2"), user=cataloguer)
    item_add(project=other, record=record(title="کیهان", control="3"), user=cataloguer)
    folder_of_pages(page_scan, tmp_path / "scans", 3)
    item_ingest_folder(first, tmp_path / "scans", user=cataloguer)
    # Yesterday another item of the line was prepared.
    yesterday = timezone.now() - dt.timedelta(days=1)
    StageEvent.objects.filter(item__record__title="گلستان").update(at=yesterday)

    totals = {f.project.code: f for f in line_selectors.project_figures()}
    assert totals["manuscripts"].stages == {"prepared": 1, "scanning": 0, "qa": 1, "published": 0, "rejected": 0}
    assert (totals["manuscripts"].items, totals["manuscripts"].pages, totals["newspapers"].pages) == (2, 3, 0)
    days = line_selectors.figures_per_day(project=project)
    today = timezone.localdate()
    assert [(d.day, d.stages["prepared"], d.stages["scanning"], d.stages["qa"], d.pages) for d in days] == [
        (today, 1, 1, 1, 3), (yesterday.date(), 1, 0, 0, 0)]
    assert len(line_selectors.figures_per_day(project=project, since=today)) == 1
    assert {d.project for d in line_selectors.figures_per_day()} == {"manuscripts", "newspapers"}

    out = io.StringIO()
    call_command("digitization", "figures", "--project", "manuscripts", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["projects"][0]["pages"] == 3 and data["days"][0]["stages"]["qa"] == 1
    out = io.StringIO()
    call_command("digitization", "figures", stdout=out)
    assert "manuscripts\t2\t1\t0\t1\t0\t0\t3\t0" in out.getvalue()


def test_project_add_command(national):
    out = io.StringIO()
    call_command("digitization", "project", "add", "maps", "--name", "Maps", "--institution", national.code,
                 "--colour-mode", "colour", stdout=out)
    assert "added project maps" in out.getvalue()
    assert Project.objects.get(code="maps").institution == national
    with pytest.raises(CommandError, match="no institution"):
        call_command("digitization", "project", "add", "atlas", "--name", "A", "--institution", "NOPE")
    with pytest.raises(CommandError, match="already exists"):
        call_command("digitization", "project", "add", "maps", "--name", "Maps", "--institution", national.code)
    out = io.StringIO()
    call_command("digitization", "project", "list", stdout=out)
    assert out.getvalue().startswith("maps\t")

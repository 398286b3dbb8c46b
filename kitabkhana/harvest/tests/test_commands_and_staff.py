"""The harvest commands (add/list sources, harvest with --json, --due), the scheduler, and the staff pages."""

from __future__ import annotations

import io
import json
import time
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from kitabkhana.accounts.services import institution_create, institution_default
from kitabkhana.catalogue.models import Record
from kitabkhana.harvest.models import HarvestRun, HarvestSource
from kitabkhana.harvest.selectors import harvest_sources_due
from kitabkhana.harvest.services import harvest_source_create, harvests_enqueue_due
from kitabkhana.harvest.tests.conftest import Reply, envelope, identify
from kitabkhana.tasks.models import TaskRun

pytestmark = [pytest.mark.shared_data, pytest.mark.django_db]


@pytest.fixture
def slsp_provider(provider, shared_data):
    records = "".join((shared_data / "oai-pmh/slsp/records" / f"{n}.xml").read_text()
                      for n in ("record_5_v1", "record_4_v1", "deleted_record"))
    provider.answer = lambda p: Reply(identify("2024-04-03T00:00:00Z") if p["verb"] == "Identify"
                                      else envelope(records, response_date="2024-04-03T00:00:00Z"))
    return provider


def test_cli_adds_lists_and_harvests_a_source(slsp_provider):
    institution_create(code="SLSP", name="SLSP", kind="partner")
    out = io.StringIO()
    call_command("harvest-source", "add", "slsp", "--url", slsp_provider.url, "--institution", "SLSP",
                 "--every-hours", "24", stdout=out)
    assert "harvest source slsp added" in out.getvalue()
    with pytest.raises(CommandError, match="oai_dc is Dublin Core"):
        call_command("harvest-source", "add", "dc", "--url", slsp_provider.url, "--institution", "SLSP",
                     "--prefix", "oai_dc")
    with pytest.raises(CommandError, match="no institution|NOPE"):
        call_command("harvest-source", "add", "x", "--url", slsp_provider.url, "--institution", "NOPE")

    out = io.StringIO()
    call_command("harvest", "slsp", "--json", stdout=out, stderr=io.StringIO())
    summary = json.loads(out.getvalue())
    assert (summary["status"], summary["new"], summary["deleted"], summary["deletions_ignored"]) == ("done", 2, 0, 1)
    assert summary["errors"] == [] and summary["pages"] == 1
    assert Record.objects.filter(institution__code="SLSP").count() == 2

    out = io.StringIO()
    call_command("harvest-source", "list", "--json", stdout=out)
    (row,) = json.loads(out.getvalue())
    assert row["code"] == "slsp" and row["last_run"]["status"] == "done"
    assert row["harvested_until"].startswith("2024-04-03T00:00:00")
    out = io.StringIO()
    call_command("harvest-source", "list", stdout=out)
    assert "every 24 h" in out.getvalue() and "done (3 records)" in out.getvalue()

    # Incremental by default: the second run asks from the provider's date of the first.
    call_command("harvest", "slsp", "--json", stdout=io.StringIO(), stderr=io.StringIO())
    assert slsp_provider.requests[-1]["from"] == "2024-04-03T00:00:00Z"
    call_command("harvest", "slsp", "--from", "2024-01-02T03:04:05", "--until", "2024-12-31", stdout=io.StringIO(),
                 stderr=io.StringIO())
    assert slsp_provider.requests[-1]["from"] == "2024-01-02T03:04:05Z"  # the Z providers require
    assert slsp_provider.requests[-1]["until"] == "2024-12-31"
    with pytest.raises(CommandError, match="--until 'soon': expected YYYY-MM-DD"):
        call_command("harvest", "slsp", "--until", "soon")
    with pytest.raises(CommandError, match="nothing to resume"):
        call_command("harvest", "slsp", "--resume", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="no harvest source 'nope'"):
        call_command("harvest", "nope")


def test_a_failed_harvest_exits_non_zero_with_the_reason(provider):
    provider.answer = lambda p: Reply(b"<html>not oai</html>")
    harvest_source_create(code="bad", base_url=provider.url, institution=institution_default())
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("harvest", "bad", "--json", stdout=out, stderr=err)
    assert exit_.value.code == 1
    summary = json.loads(out.getvalue())
    assert summary["status"] == "failed" and "not an OAI-PMH 2.0 response" in summary["errors"][-1]
    assert "not an OAI-PMH 2.0 response" in err.getvalue()


def test_due_sources_and_the_scheduler_do_not_double_a_run(slsp_provider, django_capture_on_commit_callbacks):
    partner = institution_create(code="SLSP", name="SLSP", kind="partner")
    daily = harvest_source_create(code="daily", base_url=slsp_provider.url, institution=partner, every_hours=24)
    harvest_source_create(code="manual", base_url=slsp_provider.url, institution=partner)
    harvest_source_create(code="off", base_url=slsp_provider.url, institution=partner, every_hours=1, enabled=False)
    assert [s.code for s in harvest_sources_due()] == ["daily"]

    # Queued (not yet run): a second tick must not queue it again.
    assert harvests_enqueue_due() == ["daily"]
    assert harvests_enqueue_due() == []
    assert TaskRun.objects.filter(name="harvest.run").count() == 1
    TaskRun.objects.all().delete()

    # Through the task, inline: the source is harvested and is not due again for 24 hours.
    with django_capture_on_commit_callbacks(execute=True):
        harvests_enqueue_due()
    task = TaskRun.objects.get(name="harvest.run")
    assert task.status == "done" and task.result["status"] == "done" and task.result["new"] == 2
    assert harvest_sources_due() == []
    assert [s.code for s in harvest_sources_due(now=timezone.now() + timedelta(hours=25))] == ["daily"]

    # A run still going (another process) blocks both the scheduler and a direct run.
    HarvestRun.objects.create(source=daily)
    assert harvests_enqueue_due(now=timezone.now() + timedelta(hours=25)) == []
    out = io.StringIO()
    call_command("harvest", "--due", "--json", stdout=out, stderr=io.StringIO())
    assert json.loads(out.getvalue()) == {"runs": []}


def test_a_stale_running_run_is_marked_interrupted(slsp_provider):
    partner = institution_create(code="SLSP", name="SLSP", kind="partner")
    source = harvest_source_create(code="s", base_url=slsp_provider.url, institution=partner)
    dead = HarvestRun.objects.create(source=source, resumption_token="tok")
    HarvestRun.objects.filter(pk=dead.pk).update(heartbeat_at=timezone.now() - timedelta(hours=2))
    call_command("harvest", "s", stdout=io.StringIO(), stderr=io.StringIO())
    dead.refresh_from_db()
    assert dead.status == "interrupted"
    assert source.runs.filter(status="done").count() == 1



def test_staff_pages_need_a_login(client):
    response = client.get("/staff/harvest/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_staff_add_harvest_now_and_run_detail(client, cataloguer, slsp_provider, django_capture_on_commit_callbacks):
    institution_create(code="SLSP", name="SLSP", kind="partner")
    page = client.get("/staff/harvest/")
    assert page.status_code == 200 and "No harvest sources yet" in page.content.decode()

    refused = client.post("/staff/harvest/add/", {"code": "dc", "base_url": slsp_provider.url, "institution": "SLSP",
                                                  "metadata_prefix": "oai_dc", "enabled": "on"})
    assert refused.status_code == 400 and not HarvestSource.objects.exists()

    added = client.post("/staff/harvest/add/", {"code": "slsp", "base_url": slsp_provider.url, "institution": "SLSP",
                                                "metadata_prefix": "marc21", "every_hours": "12", "enabled": "on"})
    assert added.status_code == 302 and added["Location"] == "/staff/harvest/slsp/"
    source = HarvestSource.objects.get(code="slsp")
    assert (source.institution.code, source.every_hours) == ("SLSP", 12)

    with django_capture_on_commit_callbacks(execute=True):
        started = client.post("/staff/harvest/slsp/harvest/")
    task = TaskRun.objects.get(name="harvest.run")
    assert started["Location"] == f"/tasks/{task.pk}/"
    assert task.status == "done" and task.created_by == cataloguer and task.result["new"] == 2
    run = source.runs.get()
    assert run.import_job.created_by == cataloguer

    listing = client.get("/staff/harvest/").content.decode()
    assert f"/staff/harvest/runs/{run.pk}/" in listing and "Done" in listing
    detail = client.get(f"/staff/harvest/runs/{run.pk}/").content.decode()
    assert "harvest:slsp run" in detail and "Deletions of records never harvested" in detail
    assert client.get("/staff/harvest/slsp/").status_code == 200

    edited = client.post("/staff/harvest/slsp/edit/", {"base_url": slsp_provider.url, "institution": "SLSP",
                                                       "metadata_prefix": "marc21", "set_spec": "other"})
    assert edited.status_code == 302
    source.refresh_from_db()
    assert (source.set_spec, source.every_hours, source.enabled, source.harvested_until) == ("other", None, False, None)
    assert client.get("/staff/harvest/runs/9999/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_scheduler_thread_started_with_the_server_harvests_due_sources(settings, slsp_provider, wait_for):
    """serving_started starts one scheduler thread; it queues the due source once, and the task harvests it."""
    from kitabkhana.core.signals import serving_started
    from kitabkhana.tasks import scheduler

    settings.KITABKHANA = {**settings.KITABKHANA, "HARVEST_SCHEDULER": True, "HARVEST_SCHEDULER_INTERVAL": 0.05}
    partner = institution_create(code="SLSP", name="SLSP", kind="partner")
    source = harvest_source_create(code="daily", base_url=slsp_provider.url, institution=partner, every_hours=24)
    try:
        serving_started.send(sender=None)
        first = scheduler.scheduler_thread()
        serving_started.send(sender=None)  # a second signal does not start a second thread
        assert first is not None and scheduler.scheduler_thread() is first and first.is_alive()
        wait_for(lambda: source.runs.filter(status="done").exists())
        time.sleep(0.3)  # more ticks: the source is no longer due, nothing more is queued
    finally:
        scheduler.scheduler_stop()
    assert not first.is_alive()
    assert source.runs.filter(status="done").count() == 1
    assert TaskRun.objects.filter(name="harvest.run").count() == 1
    assert Record.objects.filter(institution=partner).count() == 2


def test_harvest_due_skips_a_source_the_scheduler_is_harvesting_and_does_the_others(slsp_provider):
    partner = institution_create(code="SLSP", name="SLSP", kind="partner")
    harvest_source_create(code="busy", base_url=slsp_provider.url, institution=partner, every_hours=24)
    harvest_source_create(code="free", base_url=slsp_provider.url, institution=partner, every_hours=24)
    TaskRun.objects.create(name="harvest.run", arguments={"source": "busy", "resume": "auto"})
    out, err = io.StringIO(), io.StringIO()
    call_command("harvest", "--due", "--json", "--no-progress", stdout=out, stderr=err)
    runs = json.loads(out.getvalue())["runs"]
    assert [r["status"] for r in runs] == ["done"] and "busy: already being harvested; skipped" in err.getvalue()

"""Staff pages: sign-in required, the editor validates and saves, conflicts are shown, uploads import."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kitabkhana.catalogue.models import ImportJob, Record
from kitabkhana.catalogue.services.importing import marc_file_import
from kitabkhana.tasks.models import TaskRun

pytestmark = pytest.mark.django_db(transaction=True)



def _editor_post(record, version, title, action="save"):
    from kitabkhana.catalogue.editor import form_from_record
    from kitabkhana.marc.writer import iso2709_to_record

    form = form_from_record(iso2709_to_record(bytes(record.marc)))
    data = {"leader": form.leader, "version": str(version), "action": action, "tag": [], "ind1": [], "ind2": [],
            "value": []}
    for row in form.rows:
        data["tag"].append(row.tag)
        data["ind1"].append(row.ind1)
        data["ind2"].append(row.ind2)
        data["value"].append(f"$a {title}" if row.tag == "245" else row.value)
    return data


def test_staff_pages_need_sign_in(client):
    response = client.get("/staff/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_editor_saves_a_new_version(client, cataloguer, demo_dir):
    marc_file_import(path=demo_dir / "traject-test_data.utf8.mrc")
    record = Record.objects.order_by("pk").first()
    assert client.get(f"/staff/records/{record.pk}/edit/").status_code == 200
    response = client.post(f"/staff/records/{record.pk}/edit/", _editor_post(record, 1, "Edited in the browser"))
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.version == 2 and record.title.startswith("Edited in the browser")


def test_stale_editor_gets_a_conflict_not_an_overwrite(client, cataloguer, demo_dir):
    marc_file_import(path=demo_dir / "traject-test_data.utf8.mrc")
    record = Record.objects.order_by("pk").first()
    client.post(f"/staff/records/{record.pk}/edit/", _editor_post(record, 1, "First save"))
    response = client.post(f"/staff/records/{record.pk}/edit/", _editor_post(record, 1, "Stale save"))
    assert response.status_code == 409
    record.refresh_from_db()
    assert record.title.startswith("First save")


def test_editor_shows_profile_messages_beside_fields(client, cataloguer, demo_dir):
    """Removing the required 245 gives a message and saves nothing."""
    marc_file_import(path=demo_dir / "traject-test_data.utf8.mrc")
    record = Record.objects.order_by("pk").first()
    data = _editor_post(record, 1, "x")
    i = data["tag"].index("245")
    for key in ("tag", "ind1", "ind2", "value"):
        data[key].pop(i)
    response = client.post(f"/staff/records/{record.pk}/edit/", data)
    assert response.status_code == 200
    assert "245" in response.content.decode()
    record.refresh_from_db()
    assert record.version == 1


def test_upload_runs_an_import_task(client, cataloguer, demo_dir):
    upload = SimpleUploadedFile("trln.mrc", (demo_dir / "trln-marc-to-argot-880-fixtures.mrc").read_bytes())
    response = client.post("/staff/import/", {"file": upload, "match": "skip", "institution": "NL"})
    assert response.status_code == 302
    run = TaskRun.objects.get()
    assert run.status == "done", run.error
    job = ImportJob.objects.get(pk=run.result["job"])
    assert job.created == 19 and job.profile_report["records_checked"] == 19
    status = client.get(f"/tasks/{run.pk}/status.json").json()
    assert status["status"] == "done" and status["result"]["created"] == 19


def test_history_shows_the_diff_and_restores_a_version(client, cataloguer, demo_dir):
    marc_file_import(path=demo_dir / "traject-test_data.utf8.mrc")
    record = Record.objects.order_by("pk").first()
    original = bytes(record.marc)
    client.post(f"/staff/records/{record.pk}/edit/", _editor_post(record, 1, "A retitled record"))
    page = client.get(f"/staff/records/{record.pk}/history/").content.decode()
    assert "A retitled record" in page and "245" in page
    response = client.post(f"/staff/records/{record.pk}/history/1/restore/", {"expected_version": "2"})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.version == 3 and bytes(record.marc) == original


def test_holding_is_added_for_an_institution_and_shown_publicly(client, cataloguer, demo_dir):
    marc_file_import(path=demo_dir / "traject-test_data.utf8.mrc")
    record = Record.objects.order_by("pk").first()
    response = client.post(f"/staff/records/{record.pk}/holdings/add/",
                           {"location": "Main reading room", "call_number": "PK 6416 .P57", "barcode": "NL000123"})
    assert response.status_code == 302
    holding = record.holdings.get()
    assert (holding.institution.code, holding.barcode) == ("NL", "NL000123")
    assert "PK 6416 .P57" in client.get(f"/records/{record.pk}/").content.decode()
